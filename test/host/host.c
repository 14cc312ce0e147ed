/*
 * host: loads out_enrich.so and drives it the way Fluent Bit 5.x's Go proxy
 * does (src/flb_plugin_proxy.c, src/proxy/go/go.c), so that the tests prove
 * the shared object works without a Fluent Bit binary.
 *
 *   host PLUGIN.so SCRIPT
 *
 * What it reproduces:
 *   - dlopen, then FLBPluginRegister once with a zeroed definition struct
 *     that has the two fields Fluent Bit 4.2.3/5.1.1 appended;
 *   - one flbgo_output_plugin struct for the .so, whose api, o_ins and
 *     context are overwritten before each instance's FLBPluginInit; Init
 *     must return > 0;
 *   - an api struct with all nine function pointers in ABI order, a
 *     property table per instance with case-insensitive lookup (keys
 *     Fluent Bit keeps for itself are not passed on), a log_print that
 *     records each line and an output_log_check honouring the instance's
 *     log_level; a line logged from a thread the host did not start
 *     (Fluent Bit writes it to stderr, not its log) or too long to fit
 *     Fluent Bit's 4 KiB log line is a fail;
 *   - FLBPluginFlushCtx with the context Init stored, from several threads
 *     at once, each call on a coroutine with a small stack (as Fluent Bit
 *     runs flushes), with data and tag copies that are poisoned and freed
 *     right after the call;
 *   - built with -DHOST_API_V1, the api struct of Fluent Bit 1.x instead:
 *     output_get_property alone, at the end of a page followed by one that
 *     cannot be read, and no flb_output_log_check exported;
 *   - SIGPIPE ignored before the plugin is loaded, as Fluent Bit does;
 *   - Fluent Bit's handlers for SIGHUP, SIGCONT, SIGSEGV and SIGFPE
 *     installed before the plugin is loaded, and installed again by the
 *     handler on each of them, as src/fluent-bit.c does: a signal taken by
 *     the plugin (signal.Notify) never reaches Fluent Bit, whose hot reload
 *     then never starts, and after a SIGHUP or SIGCONT a fault in Go code
 *     reaches Fluent Bit's handler, which aborts;
 *   - FLBPluginExitCtx per instance (Fluent Bit calls FLBPluginFlush and
 *     FLBPluginExit only when the *Ctx variants are missing, which they
 *     are not).
 *
 * Where it differs from Fluent Bit 5.1.1, none of which the plugin can see
 * or the tests rely on:
 *   - a key with an empty value reads as "", where Fluent Bit stores NULL
 *     (flb_output_set_property); C.GoString makes both "";
 *   - the keys kept back are an approximation: every tls* and storage.*
 *     key, where Fluent Bit keeps tls, its own tls.* options and
 *     storage.total_limit_size only, and passes on most kept keys whose
 *     value is empty; oauth2* and log_suppress_interval reach the plugin
 *     here; ${VAR} in values is not expanded. No key of the plugin has
 *     such a name;
 *   - FLBPluginRegister runs once: Fluent Bit runs it again at each hot
 *     reload, on its main thread while the old instances still flush,
 *     before their FLBPluginExitCtx and the new instances' Init;
 *   - FLBPluginExitCtx runs when the script says: Fluent Bit calls it on
 *     its engine thread at shutdown for every instance it created, after
 *     the instance's workers are joined, never during a flush; when an Init
 *     fails, Fluent Bit stops starting, skips the failed instance and calls
 *     it with a NULL context for the instances whose Init never ran (exitctx
 *     on an instance whose Init failed makes the same call). Fluent Bit
 *     frees the instance right after: here any use of its o_ins after
 *     exitctx is a fail.
 *   - a flush's coroutine has 64 KiB of stack by default, as 5.1 gives
 *     at least; Fluent Bit 2.2 to 5.0 gives 24 KiB on x86-64 (3/2 of
 *     PTHREAD_STACK_MIN, 192 KiB on arm64): stack=24 runs a flush as they
 *     do, and the e2e tests pass so.
 *
 * Script commands, one per line (a line starting with '#' is a comment):
 *   instance NAME [key=value ...]   create an instance and call Init;
 *                                   log_level=error|warn|info|debug|trace
 *                                   sets its level (default info)
 *   instancenoctx NAME [key=value ...]
 *                                   the same, with the plugin struct's
 *                                   context NULL at Init
 *   flush NAME TAG FILE [threads=N] [repeat=M] [stack=KB] [rate=R]
 *         [duration=MS] [async]     N threads each flush FILE M times;
 *                                   rate paces each thread to R flushes a
 *                                   second, duration stops each thread
 *                                   after MS milliseconds; a
 *                                   single-thread flush that is not async
 *                                   runs on the main thread, where Init
 *                                   ran, as Fluent Bit runs flushes on its
 *                                   engine thread without Workers
 *   wait                            join the async flushes
 *   flushbadctx TAG FILE            call FLBPluginFlushCtx with a context
 *                                   Init never returned
 *   flushfault NAME                 call FLBPluginFlushCtx with a data
 *                                   pointer no memory is at: a fault in
 *                                   Go code, which the runtime makes a
 *                                   panic
 *   register                        call FLBPluginRegister again, as a
 *                                   hot reload does
 *   fork                            fork, as Fluent Bit's daemon mode (-d,
 *                                   Daemon On) does after loading the
 *                                   plugin; the child runs the rest of the
 *                                   script and the parent exits with its
 *                                   status
 *   libhandler set|kept             install a library's SIGSEGV handler;
 *                                   check it is still in place
 *   exitctx NAME                    call FLBPluginExitCtx
 *   signal HUP|CONT                 send the signal to the process, as
 *                                   a hot reload or a dump request does,
 *                                   and check Fluent Bit's handler ran
 *   metrics NAME                    print the series the plugin set in
 *                                   the instance's metrics context
 *   sleep MS
 *
 * Results go to stderr, one line each; the plugin's own stdout is left
 * alone (the stdout sink writes there):
 *   register rc=R type=T proxy=P flags=F name=N event_type=E config_map=nil
 *   init NAME rc=R
 *   flush NAME TAG calls=C ok=A retry=B error=D other=O ms=T
 *   log LEVEL MESSAGE
 *   exitctx NAME rc=R ms=T
 *   metric NAME KIND FQNAME{LABELS} VALUE, then metrics NAME end
 *   fail MESSAGE                    a script or host error (exit status 2)
 *
 * SCRIPT may be /dev/stdin, so that a test can send commands as it reads
 * the results. With HOST_RUNTIME_STDERR=PATH in the environment, whatever
 * else writes to stderr (the Go runtime's GODEBUG=gctrace=1 lines) goes to
 * PATH instead, so that it cannot interleave with the result lines.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#define FLB_OK    1
#define FLB_RETRY 2
#define FLB_ERROR 0

#define MAX_INSTANCES 32
#define MAX_PROPS     64
#define MAX_ASYNC     64
#define MAX_THREADS   64

/*
 * The ABI as Fluent Bit's headers declare it, copied here rather than taken
 * from plugin/flb.h: a layout mistake in the plugin's own declarations then
 * shows as a failing test instead of being shared by both sides.
 */

/* include/fluent-bit/flb_plugin_proxy.h */
struct flb_plugin_proxy_def {
    int type;
    int proxy;
    int flags;
    char *name;
    char *description;
    int event_type;
    void *config_map;
};

struct flb_plugin_proxy_context {
    void *remote_context;
    void *proxy;
};

/* include/fluent-bit/flb_api.h */
struct flb_api {
    const char *(*output_get_property)(const char *, void *);
    const char *(*input_get_property)(const char *, void *);
    void *(*output_get_cmt_instance)(void *);
    void *(*input_get_cmt_instance)(void *);
    void (*log_print)(int, const char *, int, const char *, ...);
    int (*input_log_check)(void *, int);
    int (*output_log_check)(void *, int);
    const char *(*custom_get_property)(const char *, void *);
    int (*custom_log_check)(void *, int);
};

/* src/proxy/go/go.h */
struct flbgo_output_plugin {
    char *name;
    void *api;
    void *o_ins;
    struct flb_plugin_proxy_context *context;

    int (*cb_init)(struct flbgo_output_plugin *);
    int (*cb_flush)(const void *, size_t, const char *);
    int (*cb_flush_ctx)(void *, const void *, size_t, char *);
    int (*cb_exit)(void);
    int (*cb_exit_ctx)(void *);
};

#define MAX_METRICS 32
#define MAX_SERIES  16
#define MAX_LABELS  4

/* A recording stand-in for a cmetrics counter or gauge. */
struct metric {
    char fqname[160];
    int gauge;
    int nkeys;
    char *keys[MAX_LABELS];
    int nseries;
    char *labels[MAX_SERIES][MAX_LABELS];
    double values[MAX_SERIES];
};

/* A recording stand-in for struct cmt, one per instance. */
struct fake_cmt {
    int destroyed; /* Fluent Bit frees the context after exit */
    int nmetrics;
    struct metric metrics[MAX_METRICS];
};

/* The host's stand-in for struct flb_output_instance. */
struct instance {
    char name[64];
    char alias[8192]; /* Fluent Bit takes an Alias of any length */
    struct fake_cmt cmt;
    int log_level;
    int nprops;
    char *keys[MAX_PROPS];
    char *values[MAX_PROPS];
    struct flb_plugin_proxy_context context;
    int exited; /* Fluent Bit frees the instance after FLBPluginExitCtx */
};

struct flush_job {
    struct instance *ins;
    char tag[256];
    char *data;
    size_t size;
    int threads;
    int repeat;
    size_t stack;
    int rate;        /* flushes a second per thread, 0 for no pacing */
    int duration_ms; /* stop each thread after this long, 0 for no limit */
    pthread_t tids[MAX_THREADS];
    int inline_run; /* ran on the calling thread: nothing to join */
    /* results, updated under results_lock */
    int calls, ok, retry, error, other;
    double started;
};

struct flush_thread {
    struct flush_job *job;
    /* the coroutine the flush runs on */
    ucontext_t caller, coro;
    void *data;
    char *tag;
    int ret;
};

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t results_lock = PTHREAD_MUTEX_INITIALIZER;
static struct flbgo_output_plugin *plugin;
static int (*cb_register)(struct flb_plugin_proxy_def *);
static struct flb_api api;
static struct instance *instances[MAX_INSTANCES];
static int ninstances;
static struct flush_job *async_jobs[MAX_ASYNC];
static int nasync;
static int failed;
/* Where result lines go: stderr, or the original stderr when
 * HOST_RUNTIME_STDERR moved fd 2 elsewhere. */
static FILE *results;

static void emit(const char *fmt, ...)
{
    va_list ap;

    pthread_mutex_lock(&out_lock);
    va_start(ap, fmt);
    vfprintf(results, fmt, ap);
    va_end(ap);
    fputc('\n', results);
    fflush(results);
    pthread_mutex_unlock(&out_lock);
}

static void fail(const char *fmt, ...)
{
    char buf[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    emit("fail %s", buf);
    failed = 1;
}

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* --- the api Fluent Bit lends to the plugin --- */

/* Fails a use of an instance Fluent Bit has freed (flb_output_exit destroys
 * each instance right after its exit callback). */
static int used_after_exit(struct instance *ins, const char *what)
{
    if (ins->exited) {
        fail("%s of instance %s after its FLBPluginExitCtx: Fluent Bit has freed it", what, ins->name);
        return 1;
    }
    return 0;
}

static const char *output_get_property(const char *key, void *o_ins)
{
    struct instance *ins = o_ins;
    int i;

    if (ins == NULL || key == NULL || used_after_exit(ins, "output_get_property")) {
        return NULL;
    }
    for (i = 0; i < ins->nprops; i++) {
        if (strcasecmp(ins->keys[i], key) == 0) {
            return ins->values[i];
        }
    }
    return NULL;
}

static const char *input_get_property(const char *key, void *i_ins)
{
    (void) key;
    (void) i_ins;
    return NULL;
}

static void *get_cmt_instance(void *ins)
{
#ifdef HOST_NO_CMT
    (void) ins;
    return NULL;
#else
    const char *v = getenv("HOST_CMT_CONTEXT");

    if (ins == NULL || used_after_exit(ins, "output_get_cmt_instance") || (v != NULL && strcmp(v, "0") == 0)) {
        return NULL;
    }
    return &((struct instance *) ins)->cmt;
#endif
}

#ifndef HOST_NO_CMT
/*
 * The functions the plugin resolves in the fluent-bit binary at run time,
 * with cmetrics' signatures, exported by this executable (-rdynamic). They
 * record what is created and set, and fail the run on what cmetrics would
 * refuse or on a use of a context after its instance's exit. Built with
 * -DHOST_NO_CMT, the host exports none of them, like a Fluent Bit without.
 */
static pthread_mutex_t cmt_lock = PTHREAD_MUTEX_INITIALIZER;
static struct instance *find_instance(const char *name);

const char *flb_output_name(void *o_ins)
{
    struct instance *ins = o_ins;

    used_after_exit(ins, "flb_output_name");
    return ins->alias[0] ? ins->alias : ins->name;
}

static void *metric_create(int gauge, void *ctx, char *ns, char *sub, char *name, char *help,
                           int nkeys, char **keys)
{
    struct fake_cmt *c = ctx;
    struct metric *m;
    int i;

    pthread_mutex_lock(&cmt_lock);
    if (c == NULL || c->destroyed || c->nmetrics == MAX_METRICS || nkeys > MAX_LABELS ||
        help == NULL || *help == '\0') {
        pthread_mutex_unlock(&cmt_lock);
        fail("cmt create %s_%s_%s refused", ns, sub, name);
        return NULL;
    }
    m = &c->metrics[c->nmetrics++];
    snprintf(m->fqname, sizeof(m->fqname), "%s_%s_%s", ns, sub, name);
    m->gauge = gauge;
    m->nkeys = nkeys;
    for (i = 0; i < nkeys; i++) {
        m->keys[i] = strdup(keys[i]);
    }
    pthread_mutex_unlock(&cmt_lock);
    return m;
}

void *cmt_counter_create(void *ctx, char *ns, char *sub, char *name, char *help, int nkeys, char **keys)
{
    return metric_create(0, ctx, ns, sub, name, help, nkeys, keys);
}

void *cmt_gauge_create(void *ctx, char *ns, char *sub, char *name, char *help, int nkeys, char **keys)
{
    return metric_create(1, ctx, ns, sub, name, help, nkeys, keys);
}

static struct fake_cmt *owner(struct metric *m)
{
    int i, j;

    for (i = 0; i < ninstances; i++) {
        for (j = 0; j < instances[i]->cmt.nmetrics; j++) {
            if (&instances[i]->cmt.metrics[j] == m) {
                return &instances[i]->cmt;
            }
        }
    }
    return NULL;
}

static int metric_set(int gauge, void *metric, uint64_t ts, double val, int n, char **vals)
{
    struct metric *m = metric;
    struct fake_cmt *c;
    int s, i;

    pthread_mutex_lock(&cmt_lock);
    c = owner(m);
    if (c == NULL || c->destroyed || m->gauge != gauge || n != m->nkeys || ts == 0) {
        pthread_mutex_unlock(&cmt_lock);
        fail("cmt set %s refused: %s", c ? m->fqname : "(unknown metric)",
             c == NULL ? "unknown metric" : c->destroyed ? "context used after exit" :
             m->gauge != gauge ? "wrong kind" : n != m->nkeys ? "wrong label count" : "no timestamp");
        return -1;
    }
    for (s = 0; s < m->nseries; s++) {
        for (i = 0; i < n && strcmp(m->labels[s][i], vals[i]) == 0; i++) {
        }
        if (i == n) {
            break;
        }
    }
    if (s == m->nseries) {
        if (s == MAX_SERIES) {
            pthread_mutex_unlock(&cmt_lock);
            fail("cmt set %s: too many series", m->fqname);
            return -1;
        }
        for (i = 0; i < n; i++) {
            m->labels[s][i] = strdup(vals[i]);
        }
        m->values[s] = 0;
        m->nseries++;
    }
    if (!gauge && val < m->values[s]) {
        pthread_mutex_unlock(&cmt_lock);
        fail("cmt set %s: counter went down from %.0f to %.0f", m->fqname, m->values[s], val);
        return -1; /* cmetrics refuses a counter going down */
    }
    m->values[s] = val;
    pthread_mutex_unlock(&cmt_lock);
    return 0;
}

int cmt_counter_set(void *metric, uint64_t ts, double val, int n, char **vals)
{
    return metric_set(0, metric, ts, val, n, vals);
}

int cmt_gauge_set(void *metric, uint64_t ts, double val, int n, char **vals)
{
    return metric_set(1, metric, ts, val, n, vals);
}

/* metrics NAME: one line per series of the instance's context. */
static void cmd_metrics(char **argv, int argc)
{
    struct instance *ins;
    char line[1024];
    int i, s, k, len;

    if (argc < 2 || (ins = find_instance(argv[1])) == NULL) {
        fail("metrics needs an instance");
        return;
    }
    pthread_mutex_lock(&cmt_lock);
    for (i = 0; i < ins->cmt.nmetrics; i++) {
        struct metric *m = &ins->cmt.metrics[i];

        for (s = 0; s < m->nseries; s++) {
            len = snprintf(line, sizeof(line), "%s{", m->fqname);
            for (k = 0; k < m->nkeys; k++) {
                len += snprintf(line + len, sizeof(line) - len, "%s%s=\"%s\"", k ? "," : "",
                                m->keys[k], m->labels[s][k]);
            }
            emit("metric %s %s %s} %.0f", ins->name, m->gauge ? "gauge" : "counter", line, m->values[s]);
        }
    }
    pthread_mutex_unlock(&cmt_lock);
    emit("metrics %s end", ins->name);
}
#endif

static const char *level_name(int level)
{
    switch (level) {
    case 1: return "error";
    case 2: return "warn";
    case 3: return "info";
    case 4: return "debug";
    case 5: return "trace";
    default: return "unknown";
    }
}

/* Set on the threads the host starts, as Fluent Bit sets its worker
 * context on its own: flb_log_print writes a line logged from any other
 * thread to stderr, never to the Log_File. */
static __thread int host_thread;

/* The most of a line's text Fluent Bit keeps: a 4096-byte log_message
 * (src/flb_log.c) less its size field, its header and the newline. */
#define FLB_LOG_TEXT_MAX 4040

void flb_log_print(int level, const char *file, int line, const char *fmt, ...)
{
    char buf[8192];
    char *p;
    va_list ap;
    int n;

    (void) file;
    (void) line;
    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (!host_thread) {
        fail("log line from a thread Fluent Bit did not start, which it writes to stderr, not its log: %.200s", buf);
    }
    if (n > FLB_LOG_TEXT_MAX) {
        fail("log line of %d bytes, which Fluent Bit cuts at %d: %.200s", n, FLB_LOG_TEXT_MAX, buf);
    }
    /* One record per line: the tests parse them. */
    for (p = buf; *p; p++) {
        if (*p == '\n' || *p == '\r') {
            *p = ' ';
        }
    }
    emit("log %s %s", level_name(level), buf);
}

static int input_log_check(void *i_ins, int level)
{
    (void) i_ins;
    return level <= 3;
}

static int output_log_check(void *o_ins, int level)
{
    struct instance *ins = o_ins;

    if (ins == NULL || used_after_exit(ins, "output_log_check")) {
        return 0;
    }
    return level <= ins->log_level;
}

/* Exported as Fluent Bit exports them (-rdynamic); 1.x has no flb_output_log_check. */
const char *flb_output_get_property(const char *key, void *o_ins)
{
    return output_get_property(key, o_ins);
}

#ifndef HOST_API_V1
int flb_output_log_check(void *o_ins, int level)
{
    return output_log_check(o_ins, level);
}
#endif

static const char *custom_get_property(const char *key, void *c_ins)
{
    (void) key;
    (void) c_ins;
    return NULL;
}

static int custom_log_check(void *c_ins, int level)
{
    (void) c_ins;
    (void) level;
    return 0;
}

/* The api struct the plugin gets: Fluent Bit 1.x's has one field, and
 * reading past it here faults. */
static void *host_api(void)
{
#ifdef HOST_API_V1
    static char *page;
    long size = sysconf(_SC_PAGESIZE);
    const char *(**v1)(const char *, void *);

    if (page == NULL) {
        page = mmap(NULL, 2 * size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (page == MAP_FAILED || mprotect(page + size, size, PROT_NONE) != 0) {
            fail("map the 1.x api struct: %s", strerror(errno));
            exit(1);
        }
    }
    v1 = (const char *(**)(const char *, void *)) (page + size - sizeof(*v1));
    *v1 = output_get_property;
    return v1;
#else
    return &api;
#endif
}

/* --- Fluent Bit's signal handlers (src/fluent-bit.c, flb_signal_init) --- */

static volatile sig_atomic_t signals_handled;

static void fb_signal_init(void);

static void fb_signal_handler(int sig)
{
    static const char msg[] = "fail caught signal: a fault reached Fluent Bit's handler, which aborts\n";

    fb_signal_init(); /* as flb_signal_handler does, whatever the signal */
    if (sig == SIGSEGV || sig == SIGFPE) {
        if (write(fileno(results), msg, sizeof(msg) - 1) < 0) {
            /* nothing more to do: abort anyway */
        }
        abort();
    }
    signals_handled++;
}

static void fb_signal_init(void)
{
    signal(SIGHUP, fb_signal_handler);
    signal(SIGCONT, fb_signal_handler);
    signal(SIGSEGV, fb_signal_handler);
    signal(SIGFPE, fb_signal_handler);
}

/* signal HUP|CONT: sent to the process, as kill(1) sends it to Fluent Bit. */
static void cmd_signal(char **argv, int argc)
{
    int sig = argc < 2 ? 0 : strcmp(argv[1], "HUP") == 0 ? SIGHUP : strcmp(argv[1], "CONT") == 0 ? SIGCONT : 0;
    sig_atomic_t before = signals_handled;
    int i;

    if (sig == 0) {
        fail("signal needs HUP or CONT");
        return;
    }
    kill(getpid(), sig);
    for (i = 0; i < 1000 && signals_handled == before; i++) {
        usleep(1000);
    }
    if (signals_handled == before) {
        fail("SIG%s never reached Fluent Bit's handler: the plugin took it", argv[1]);
        return;
    }
    emit("signal %s handled", argv[1]);
}

/* --- script commands --- */

static struct instance *find_instance(const char *name)
{
    int i;

    for (i = 0; i < ninstances; i++) {
        if (strcmp(instances[i]->name, name) == 0) {
            return instances[i];
        }
    }
    fail("no instance %s", name);
    return NULL;
}

static int parse_level(const char *v)
{
    if (strcasecmp(v, "off") == 0) return 0;
    if (strcasecmp(v, "error") == 0) return 1;
    if (strcasecmp(v, "warn") == 0 || strcasecmp(v, "warning") == 0) return 2;
    if (strcasecmp(v, "info") == 0) return 3;
    if (strcasecmp(v, "debug") == 0) return 4;
    if (strcasecmp(v, "trace") == 0) return 5;
    return -1;
}

/* Keys Fluent Bit keeps for the instance and never passes to the plugin. */
static int reserved_key(const char *k)
{
    static const char *reserved[] = {
        "match", "match_regex", "alias", "host", "port", "ipv6",
        "retry_limit", "log_level", "workers", NULL,
    };
    int i;

    for (i = 0; reserved[i]; i++) {
        if (strcasecmp(k, reserved[i]) == 0) {
            return 1;
        }
    }
    return strncasecmp(k, "tls", 3) == 0 || strncasecmp(k, "net.", 4) == 0 ||
           strncasecmp(k, "storage.", 8) == 0;
}

static void cmd_instance(char **argv, int argc)
{
    struct instance *ins;
    int i;
    int ret;

    if (argc < 2) {
        fail("%s needs a name", argv[0]);
        return;
    }
    if (ninstances == MAX_INSTANCES) {
        fail("too many instances");
        return;
    }
    ins = calloc(1, sizeof(*ins));
    snprintf(ins->name, sizeof(ins->name), "%s", argv[1]);
    ins->log_level = 3;
    for (i = 2; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (eq == NULL) {
            fail("property %s is not key=value", argv[i]);
            free(ins);
            return;
        }
        *eq = '\0';
        if (strcasecmp(argv[i], "alias") == 0) {
            snprintf(ins->alias, sizeof(ins->alias), "%s", eq + 1);
        }
        if (strcasecmp(argv[i], "log_level") == 0) {
            ins->log_level = parse_level(eq + 1);
            if (ins->log_level < 0) {
                fail("unknown log_level %s", eq + 1);
                free(ins);
                return;
            }
        }
        if (reserved_key(argv[i]) || ins->nprops == MAX_PROPS) {
            continue;
        }
        ins->keys[ins->nprops] = strdup(argv[i]);
        ins->values[ins->nprops] = strdup(eq + 1);
        ins->nprops++;
    }
    instances[ninstances++] = ins;

    /* proxy_go_output_init: the shared struct now describes this instance. */
    plugin->api = host_api();
    plugin->o_ins = ins;
    plugin->context = strcmp(argv[0], "instancenoctx") == 0 ? NULL : &ins->context;
    ret = plugin->cb_init(plugin);
    emit("init %s rc=%d", ins->name, ret);
}

static char *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    if (f == NULL) {
        fail("open %s: %s", path, strerror(errno));
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc(n > 0 ? n : 1);
    if (n > 0 && fread(buf, 1, n, f) != (size_t) n) {
        fail("read %s", path);
        fclose(f);
        free(buf);
        return NULL;
    }
    fclose(f);
    *size = n;
    return buf;
}

static void coro_entry(unsigned int hi, unsigned int lo)
{
    struct flush_thread *t = (struct flush_thread *) (((uintptr_t) hi << 32) | lo);

    t->ret = plugin->cb_flush_ctx(t->job->ins->context.remote_context,
                                  t->data, t->job->size, t->tag);
    swapcontext(&t->coro, &t->caller);
}

/* Runs one flush on a coroutine with its own small stack, as Fluent Bit
 * runs output flushes. */
static int run_on_coroutine(struct flush_thread *t, void *stack, size_t size)
{
    uintptr_t self = (uintptr_t) t;

    getcontext(&t->coro);
    t->coro.uc_stack.ss_sp = stack;
    t->coro.uc_stack.ss_size = size;
    t->coro.uc_link = NULL;
    makecontext(&t->coro, (void (*)(void)) coro_entry, 2,
                (unsigned int) (self >> 32), (unsigned int) (self & 0xffffffffu));
    swapcontext(&t->caller, &t->coro);
    return t->ret;
}

static void *flush_thread_main(void *arg)
{
    struct flush_thread *t = arg;
    struct flush_job *job = t->job;
    void *stack;
    double t0 = now_ms();
    int i;
    int ret;

    host_thread = 1;
    stack = malloc(job->stack);
    for (i = 0; i < job->repeat; i++) {
        if (job->rate > 0) {
            /* A fixed schedule: a thread that falls behind catches up
             * without sleeping, so the rate achieved is what the plugin
             * sustains. */
            double wait = t0 + i * 1000.0 / job->rate - now_ms();
            if (wait > 0) {
                usleep((useconds_t) (wait * 1000));
            }
        }
        if (job->duration_ms > 0 && now_ms() - t0 >= job->duration_ms) {
            break;
        }
        /* Fresh copies, poisoned after the call, as Fluent Bit frees its
         * tag buffer and reuses chunk memory once the flush returns. */
        t->data = malloc(job->size > 0 ? job->size : 1);
        memcpy(t->data, job->data, job->size);
        t->tag = strdup(job->tag);

        ret = run_on_coroutine(t, stack, job->stack);

        memset(t->data, 0xA5, job->size);
        memset(t->tag, 'X', strlen(t->tag));
        free(t->data);
        free(t->tag);

        pthread_mutex_lock(&results_lock);
        job->calls++;
        if (ret == FLB_OK) job->ok++;
        else if (ret == FLB_RETRY) job->retry++;
        else if (ret == FLB_ERROR) job->error++;
        else job->other++;
        pthread_mutex_unlock(&results_lock);
    }
    free(stack);
    free(t);
    return NULL;
}

static void report_job(struct flush_job *job)
{
    int i;

    for (i = 0; i < job->threads && !job->inline_run; i++) {
        pthread_join(job->tids[i], NULL);
    }
    emit("flush %s %s calls=%d ok=%d retry=%d error=%d other=%d ms=%.0f",
         job->ins->name, job->tag, job->calls, job->ok, job->retry, job->error,
         job->other, now_ms() - job->started);
    free(job->data);
    free(job);
}

static void cmd_flush(char **argv, int argc)
{
    struct flush_job *job;
    struct instance *ins;
    int async = 0;
    int i;

    if (argc < 4) {
        fail("flush needs NAME TAG FILE");
        return;
    }
    ins = find_instance(argv[1]);
    if (ins == NULL) {
        return;
    }
    job = calloc(1, sizeof(*job));
    job->ins = ins;
    snprintf(job->tag, sizeof(job->tag), "%s", argv[2]);
    job->threads = 1;
    job->repeat = 1;
    job->stack = 64 * 1024;
    for (i = 4; i < argc; i++) {
        if (strncmp(argv[i], "threads=", 8) == 0) job->threads = atoi(argv[i] + 8);
        else if (strncmp(argv[i], "repeat=", 7) == 0) job->repeat = atoi(argv[i] + 7);
        else if (strncmp(argv[i], "stack=", 6) == 0) job->stack = (size_t) atoi(argv[i] + 6) * 1024;
        else if (strncmp(argv[i], "rate=", 5) == 0) job->rate = atoi(argv[i] + 5);
        else if (strncmp(argv[i], "duration=", 9) == 0) job->duration_ms = atoi(argv[i] + 9);
        else if (strcmp(argv[i], "async") == 0) async = 1;
        else {
            fail("unknown flush option %s", argv[i]);
            free(job);
            return;
        }
    }
    if (job->threads < 1 || job->threads > MAX_THREADS || job->repeat < 1 || job->stack < 16 * 1024 ||
        job->rate < 0 || job->duration_ms < 0) {
        fail("flush options out of range");
        free(job);
        return;
    }
    job->data = read_file(argv[3], &job->size);
    if (job->data == NULL) {
        free(job);
        return;
    }
    job->started = now_ms();
    if (job->threads == 1 && !async) {
        /* Like Fluent Bit without Workers: the flush runs on the thread
         * that ran Init (the engine thread). */
        struct flush_thread *t = calloc(1, sizeof(*t));
        t->job = job;
        job->inline_run = 1;
        flush_thread_main(t);
        report_job(job);
        return;
    }
    for (i = 0; i < job->threads; i++) {
        struct flush_thread *t = calloc(1, sizeof(*t));
        t->job = job;
        pthread_create(&job->tids[i], NULL, flush_thread_main, t);
    }
    if (!async) {
        report_job(job);
        return;
    }
    if (nasync == MAX_ASYNC) {
        report_job(job);
        fail("too many async flushes");
        return;
    }
    async_jobs[nasync++] = job;
}

static void cmd_wait(void)
{
    int i;

    for (i = 0; i < nasync; i++) {
        report_job(async_jobs[i]);
    }
    nasync = 0;
}

static void cmd_flushbadctx(char **argv, int argc)
{
    char *data;
    char *tag;
    size_t size;
    int ret;
    int bogus = 0;

    if (argc < 3) {
        fail("%s needs TAG FILE", argv[0]);
        return;
    }
    data = read_file(argv[2], &size);
    if (data == NULL) {
        return;
    }
    tag = strdup(argv[1]);
    ret = plugin->cb_flush_ctx(&bogus, data, size, tag);
    emit("%s %s rc=%d", argv[0], argv[1], ret);
    free(tag);
    free(data);
}

/* flushfault NAME: FLBPluginFlushCtx with a data pointer at address 16,
 * where no memory is: the plugin reads the chunk in Go, and the fault is
 * one the Go runtime turns into a panic, as a nil dereference is. */
static void cmd_flushfault(char **argv, int argc)
{
    struct instance *ins;
    char tag[] = "fault";
    int ret;

    if (argc < 2 || (ins = find_instance(argv[1])) == NULL) {
        fail("flushfault needs an instance");
        return;
    }
    ret = plugin->cb_flush_ctx(ins->context.remote_context, (void *) 16, 64, tag);
    emit("flushfault %s rc=%d", ins->name, ret);
}

/* register: FLBPluginRegister again, as a hot reload calls it after
 * Fluent Bit's handler ran for the SIGHUP. */
static void cmd_register(void)
{
    struct flb_plugin_proxy_def def;

    memset(&def, 0, sizeof(def));
    emit("reregister rc=%d", cb_register(&def));
}

/* fork: the rest of the script runs in a child, as Fluent Bit's daemon
 * mode forks (flb_utils_set_daemon) after loading the plugins and before
 * starting them; the parent waits and exits with the child's status. */
static void cmd_fork(void)
{
    pid_t pid;
    int status;

    cmd_wait();
    pid = fork();
    if (pid < 0) {
        fail("fork: %s", strerror(errno));
        return;
    }
    if (pid == 0) {
        /* A child hung in the plugin dies with the parent a test timed out and killed. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        return;
    }
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
        emit("fail the forked child did not exit normally");
        _exit(2);
    }
    _exit(WEXITSTATUS(status));
}

/* libhandler set|kept: a library's SIGSEGV handler (libc's abort, never
 * called here), such as a WebAssembly runtime installs; kept checks that
 * the plugin left it in place. */
static void cmd_libhandler(char **argv, int argc)
{
    struct sigaction sa;

    if (argc > 1 && strcmp(argv[1], "set") == 0) {
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = (void (*)(int)) abort;
        sigaction(SIGSEGV, &sa, NULL);
    } else if (argc > 1 && strcmp(argv[1], "kept") == 0) {
        sigaction(SIGSEGV, NULL, &sa);
        if (sa.sa_handler != (void (*)(int)) abort) {
            fail("the library's SIGSEGV handler was replaced");
        }
    } else {
        fail("libhandler needs set or kept");
    }
}

static void cmd_exitctx(char **argv, int argc)
{
    struct instance *ins;
    double t0;
    int ret;

    if (argc < 2 || (ins = find_instance(argv[1])) == NULL) {
        fail("exitctx needs an instance");
        return;
    }
    t0 = now_ms();
    ret = plugin->cb_exit_ctx(ins->context.remote_context);
    ins->cmt.destroyed = 1;
    ins->exited = 1;
    emit("exitctx %s rc=%d ms=%.0f", ins->name, ret, now_ms() - t0);
}

static int split(char *line, char **argv, int max)
{
    int argc = 0;
    char *tok = strtok(line, " \t\r\n");

    while (tok != NULL && argc < max) {
        argv[argc++] = tok;
        tok = strtok(NULL, " \t\r\n");
    }
    return argc;
}

static int load(const char *path)
{
    struct flb_plugin_proxy_def *def;
    void *dso;
    int ret;

    dso = dlopen(path, RTLD_LAZY);
    if (dso == NULL) {
        fail("dlopen %s: %s", path, dlerror());
        return -1;
    }
    cb_register = (int (*)(struct flb_plugin_proxy_def *)) dlsym(dso, "FLBPluginRegister");
    if (cb_register == NULL) {
        fail("FLBPluginRegister not exported");
        return -1;
    }
    def = calloc(1, sizeof(*def));
    ret = cb_register(def);
    emit("register rc=%d type=%d proxy=%d flags=%d name=%s event_type=%d config_map=%s",
         ret, def->type, def->proxy, def->flags, def->name ? def->name : "(null)",
         def->event_type, def->config_map ? "set" : "nil");
    if (ret == -1 || def->name == NULL) {
        fail("registration failed");
        return -1;
    }

    /* proxy_go_output_register */
    plugin = malloc(sizeof(*plugin));
    plugin->cb_init = (int (*)(struct flbgo_output_plugin *)) dlsym(dso, "FLBPluginInit");
    plugin->cb_flush = (int (*)(const void *, size_t, const char *)) dlsym(dso, "FLBPluginFlush");
    plugin->cb_flush_ctx = (int (*)(void *, const void *, size_t, char *)) dlsym(dso, "FLBPluginFlushCtx");
    plugin->cb_exit = (int (*)(void)) dlsym(dso, "FLBPluginExit");
    plugin->cb_exit_ctx = (int (*)(void *)) dlsym(dso, "FLBPluginExitCtx");
    plugin->name = strdup(def->name);
    /* Fluent Bit requires FLBPluginInit only and falls back to
     * FLBPluginFlush/FLBPluginExit when the *Ctx variants are missing; the
     * plugin exports the *Ctx variants, so the host calls nothing else. */
    if (!plugin->cb_init || !plugin->cb_flush_ctx || !plugin->cb_exit_ctx) {
        fail("a Go proxy entry point is not exported");
        return -1;
    }

    /* flb_api_create */
    api.output_get_property = output_get_property;
    api.input_get_property = input_get_property;
    api.output_get_cmt_instance = get_cmt_instance;
    api.input_get_cmt_instance = get_cmt_instance;
    api.log_print = flb_log_print;
    api.input_log_check = input_log_check;
    api.output_log_check = output_log_check;
    api.custom_get_property = custom_get_property;
    api.custom_log_check = custom_log_check;
    return 0;
}

/* Moves fd 2 to path and keeps the result lines on the original stderr. */
static int redirect_runtime_stderr(const char *path)
{
    int keep;
    int fd;

    if (path == NULL || *path == '\0') {
        return 0;
    }
    keep = dup(2);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (keep < 0 || fd < 0 || (results = fdopen(keep, "w")) == NULL || dup2(fd, 2) < 0) {
        results = stderr;
        fail("redirect stderr to %s: %s", path, strerror(errno));
        return -1;
    }
    close(fd);
    return 0;
}

int main(int argc, char **argv)
{
    char line[8192];
    char *args[128];
    FILE *script;
    int n;

    results = stderr;
    host_thread = 1;
    /* flb_config_init: Fluent Bit ignores SIGPIPE before it loads plugins. */
    signal(SIGPIPE, SIG_IGN);
    /* main(): Fluent Bit installs its handlers before it loads plugins. */
    fb_signal_init();
    if (argc != 3) {
        fprintf(stderr, "usage: host PLUGIN.so SCRIPT\n");
        return 2;
    }
    if (redirect_runtime_stderr(getenv("HOST_RUNTIME_STDERR")) != 0) {
        return 2;
    }
    if (load(argv[1]) != 0) {
        return 2;
    }
    script = fopen(argv[2], "r");
    if (script == NULL) {
        fail("open script %s: %s", argv[2], strerror(errno));
        return 2;
    }
    while (fgets(line, sizeof(line), script) != NULL) {
        n = split(line, args, 128);
        if (n == 0 || args[0][0] == '#') {
            continue;
        }
        if (strcmp(args[0], "instance") == 0 || strcmp(args[0], "instancenoctx") == 0) cmd_instance(args, n);
        else if (strcmp(args[0], "flush") == 0) cmd_flush(args, n);
        else if (strcmp(args[0], "wait") == 0) cmd_wait();
        else if (strcmp(args[0], "flushbadctx") == 0) cmd_flushbadctx(args, n);
        else if (strcmp(args[0], "flushfault") == 0) cmd_flushfault(args, n);
        else if (strcmp(args[0], "register") == 0) cmd_register();
        else if (strcmp(args[0], "fork") == 0) cmd_fork();
        else if (strcmp(args[0], "libhandler") == 0) cmd_libhandler(args, n);
        else if (strcmp(args[0], "exitctx") == 0) cmd_exitctx(args, n);
#ifndef HOST_NO_CMT
        else if (strcmp(args[0], "metrics") == 0) cmd_metrics(args, n);
#endif
        else if (strcmp(args[0], "signal") == 0) cmd_signal(args, n);
        else if (strcmp(args[0], "sleep") == 0) usleep(atoi(args[1 < n ? 1 : 0]) * 1000);
        else fail("unknown command %s", args[0]);
    }
    fclose(script);
    cmd_wait();
    return failed ? 2 : 0;
}
