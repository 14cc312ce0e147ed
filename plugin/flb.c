/*
 * C side of the boundary: the few accesses to Fluent Bit's structs and the
 * calls to its variadic logger, which Go cannot make directly. Every
 * function tolerates NULL pointers so that a host that passes less than
 * Fluent Bit does cannot crash the plugin.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "flb.h"
#include "_cgo_export.h"

#define ENRICH_PROXY_OUTPUT_PLUGIN 2
#define ENRICH_PROXY_GOLANG        11

/* Static storage: Fluent Bit copies the name and keeps the description
 * pointer for the life of the process, and never frees either. */
static char enrich_name[] = "enrich";
static char enrich_description[] =
    "adds message IDs, severities, explanations and actions to log records";

int enrich_register(struct flb_plugin_proxy_def *def)
{
    if (def == NULL) {
        return -1;
    }
    def->type = ENRICH_PROXY_OUTPUT_PLUGIN;
    def->proxy = ENRICH_PROXY_GOLANG;
    def->flags = 0;
    def->name = enrich_name;
    def->description = enrich_description;
    return 0;
}

/*
 * The Go runtime does not survive a fork: in the child only the forking
 * thread is left, and the first call into Go waits for ever on a lock some
 * other thread held. Fluent Bit's daemon mode (-d, Daemon On) forks after it
 * has loaded the plugins, so Fluent Bit's calls are made here, in C: in a
 * process other than the one that loaded the plugin, Init refuses with a
 * message (Fluent Bit then stops, and flushes only instances Init started)
 * and exit returns without entering Go.
 */
static pid_t enrich_load_pid;

__attribute__((constructor)) static void enrich_note_load_pid(void)
{
    enrich_load_pid = getpid();
}

static int enrich_forked(void)
{
    return getpid() != enrich_load_pid;
}

/* Logs msg as an error through Fluent Bit's logger when the process exports it, else on stderr. */
static void enrich_log_direct(const char *msg)
{
    void (*print)(int, const char *, int, const char *, ...);

    print = (void (*)(int, const char *, int, const char *, ...)) dlsym(RTLD_DEFAULT, "flb_log_print");
    if (print != NULL) {
        print(ENRICH_FLB_LOG_ERROR, __FILE__, __LINE__, "%s", msg);
    }
    else {
        fprintf(stderr, "%s\n", msg);
    }
}

int FLBPluginInit(void *plugin)
{
    if (enrich_forked()) {
        enrich_log_direct("[output:enrich] cannot start: Fluent Bit forked after loading the plugin (daemon mode: "
                          "-d or Daemon On), and a Go plugin cannot run in a forked process; run Fluent Bit "
                          "in the foreground under a service manager (systemd, a container) instead");
        return ENRICH_FLB_ERROR;
    }
    return enrichInit(plugin);
}

int FLBPluginExitCtx(void *ctx)
{
    return enrich_forked() ? ENRICH_FLB_OK : enrichExitCtx(ctx);
}

/*
 * Fluent Bit installs its handlers for SIGSEGV and SIGFPE again when it
 * handles a SIGHUP, SIGCONT, SIGSEGV or SIGFPE (flb_signal_handler in
 * src/fluent-bit.c): after the SIGHUP of a hot reload or a SIGCONT, a fault in
 * Go code (a nil dereference, which the exports recover from as a panic) would
 * reach Fluent Bit's handler, which aborts. The Go runtime's handlers, in place
 * when the plugin first registers, are put back at each export's start where
 * the main program's, Fluent Bit's, replaced them; a library's (a WebAssembly
 * runtime catches faults for its bounds checks) stays. The runtime passes a
 * fault in C code on to the handler it found at load, Fluent Bit's.
 */
static const int enrich_fault_signals[] = {SIGSEGV, SIGFPE};
static struct sigaction enrich_go_handlers[2];
static int enrich_handlers_saved;

void enrich_save_fault_handlers(void)
{
    int i;

    if (enrich_handlers_saved) { /* a hot reload registers again, after Fluent Bit's handler ran */
        return;
    }
    for (i = 0; i < 2; i++) {
        sigaction(enrich_fault_signals[i], NULL, &enrich_go_handlers[i]);
    }
    enrich_handlers_saved = 1;
}

/* Whether the handler is a function of the main program. */
static int enrich_main_program_handler(const struct sigaction *sa)
{
    Dl_info handler, program;

    return dladdr((void *) sa->sa_sigaction, &handler) != 0 &&
           dladdr((void *) getauxval(AT_PHDR), &program) != 0 && handler.dli_fbase == program.dli_fbase;
}

void enrich_restore_fault_handlers(void)
{
    struct sigaction now;
    int i;

    for (i = 0; enrich_handlers_saved && i < 2; i++) {
        if (sigaction(enrich_fault_signals[i], NULL, &now) == 0 &&
            now.sa_sigaction != enrich_go_handlers[i].sa_sigaction && enrich_main_program_handler(&now)) {
            sigaction(enrich_fault_signals[i], &enrich_go_handlers[i], NULL);
        }
    }
}

const char *enrich_get_property(struct flbgo_output_plugin *p, const char *key)
{
    if (p == NULL || p->api == NULL || p->api->output_get_property == NULL) {
        return NULL;
    }
    return p->api->output_get_property(key, p->o_ins);
}

int enrich_set_context(struct flbgo_output_plugin *p, void *ctx)
{
    if (p == NULL || p->context == NULL) {
        return -1;
    }
    p->context->remote_context = ctx;
    return 0;
}

int enrich_log_enabled(struct flb_api *api, void *o_ins, int level)
{
    if (api == NULL || api->log_print == NULL) {
        return 0;
    }
    if (api->output_log_check == NULL || o_ins == NULL) {
        return level <= ENRICH_FLB_LOG_INFO;
    }
    return api->output_log_check(o_ins, level);
}

void enrich_log(struct flb_api *api, void *o_ins, int level, const char *msg)
{
    if (!enrich_log_enabled(api, o_ins, level)) {
        return;
    }
    /* "%s": the message may contain percent signs from log records. */
    api->log_print(level, __FILE__, __LINE__, "%s", msg);
}

/*
 * Fluent Bit 1.x lends Go plugins a struct flb_api with output_get_property
 * alone, so its other fields would be read past its end. flb_output_log_check
 * came with them in 2.0: a binary that exports flb_output_get_property but
 * not it is 1.x. One that exports neither tells nothing, and is trusted.
 * Returns 1 after logging why the plugin cannot start.
 */
int enrich_refuse_old_api(void)
{
    static const char msg[] = "[output:enrich] cannot start: this Fluent Bit is older than 2.0, whose Go "
                              "plugin interface has no logger and no metrics; the plugin needs Fluent Bit "
                              "2.0 or newer (tested with 2.2 and 3.2 to 5.1)";

    if (dlsym(RTLD_DEFAULT, "flb_output_get_property") == NULL ||
        dlsym(RTLD_DEFAULT, "flb_output_log_check") != NULL) {
        return 0;
    }
    enrich_log_direct(msg);
    return 1;
}

long enrich_thread_id(void)
{
    return (long) syscall(SYS_gettid);
}

/*
 * Fluent Bit's cmetrics functions and flb_output_name, looked up in the
 * process at run time: the fluent-bit binary exports them, and a .so that
 * linked them would not load in a host that lacks them. Resolved once, by
 * the first Init, and read-only after.
 */
typedef void *(*cmt_new_fn)(void *, char *, char *, char *, char *, int, char **);
typedef int (*cmt_set_fn)(void *, uint64_t, double, int, char **);

static struct {
    int done;
    const char *missing;
    cmt_new_fn new[2];
    cmt_set_fn set[2];
    const char *(*output_name)(void *);
} cmt;

const char *enrich_cmt_resolve(void)
{
    static const char *names[] = {
        "cmt_counter_create", "cmt_gauge_create", "cmt_counter_set", "cmt_gauge_set",
    };
    void *f[4];
    int i;

    if (cmt.done) {
        return cmt.missing;
    }
    cmt.output_name = (const char *(*)(void *)) dlsym(RTLD_DEFAULT, "flb_output_name");
    for (i = 0; i < 4; i++) {
        f[i] = dlsym(RTLD_DEFAULT, names[i]);
        if (f[i] == NULL && cmt.missing == NULL) {
            cmt.missing = names[i];
        }
    }
    if (cmt.missing == NULL) {
        cmt.new[0] = (cmt_new_fn) f[0];
        cmt.new[1] = (cmt_new_fn) f[1];
        cmt.set[0] = (cmt_set_fn) f[2];
        cmt.set[1] = (cmt_set_fn) f[3];
    }
    cmt.done = 1;
    return cmt.missing;
}

void *enrich_cmt_context(struct flb_api *api, void *o_ins)
{
    if (api == NULL || api->output_get_cmt_instance == NULL || o_ins == NULL) {
        return NULL;
    }
    return api->output_get_cmt_instance(o_ins);
}

const char *enrich_output_name(void *o_ins)
{
    if (cmt.output_name == NULL || o_ins == NULL) {
        return NULL;
    }
    return cmt.output_name(o_ins);
}

void *enrich_cmt_new(void *ctx, int gauge, char *name, char *help, int nkeys, char **keys)
{
    if (ctx == NULL || cmt.new[gauge != 0] == NULL) {
        return NULL;
    }
    return cmt.new[gauge != 0](ctx, "fluentbit", "enrich", name, help, nkeys, keys);
}

int enrich_cmt_update(struct enrich_series *s, int n)
{
    struct timespec ts;
    uint64_t now;
    int failed = 0;
    int i;

    clock_gettime(CLOCK_REALTIME, &ts);
    now = (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
    for (i = 0; i < n; i++) {
        if (s[i].metric == NULL || cmt.set[s[i].gauge != 0] == NULL ||
            cmt.set[s[i].gauge != 0](s[i].metric, now, s[i].value, s[i].nlabels, s[i].labels) != 0) {
            failed++;
        }
    }
    return failed;
}
