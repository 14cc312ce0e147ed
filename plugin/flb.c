/*
 * C side of the boundary: the few accesses to Fluent Bit's structs and the
 * calls to its variadic logger, which Go cannot make directly. Every
 * function tolerates NULL pointers so that a host that passes less than
 * Fluent Bit does cannot crash the plugin.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "flb.h"

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

/*
 * The metrics of an instance. Each has the label name, and a second label
 * whose values are listed (result), are the products (product) or are the
 * versions (info, with a third label). enrich_metrics_set takes the values
 * in the order of this table, info excepted: it is always 1.
 */
static const struct {
    const char *name, *help, *key;
    int gauge;
    const char *values[5];
} enrich_defs[] = {
    {"records_total", "Records processed, by result.", "result", 0, {"enriched", "unknown_id", "no_id", "skipped"}},
    {"enriched_records_total", "Records enriched, by the product of their catalog entry.", "product", 0, {NULL}},
    {"chunks_total", "Chunks flushed to the instance.", NULL, 0, {NULL}},
    {"payloads_total", "Payloads delivered to the sink.", NULL, 0, {NULL}},
    {"delivery_failures_total", "Payloads the sink did not accept.", NULL, 0, {NULL}},
    {"retries_total", "Chunks handed back to Fluent Bit to retry.", NULL, 0, {NULL}},
    {"catalog_entries", "Catalog entries loaded, user catalogs included.", NULL, 1, {NULL}},
    {"catalog_reloads_total", "Catalog_File reloads, by result.", "result", 0, {"ok", "failed"}},
    {"info", "The plugin and catalog versions.", "version", 1, {NULL}},
};

#define ENRICH_NDEFS (sizeof(enrich_defs) / sizeof(enrich_defs[0]))

struct enrich_series {
    void *metric;
    int gauge;
    int nlabels;
    char *labels[3];
    double value;
};

struct enrich_metrics {
    char *strs;
    int n;
    struct enrich_series s[];
};

struct enrich_metrics *enrich_metrics_new(void *ctx, char *strs, int nstrs)
{
    char *keys[3] = {"name", NULL, "catalog"};
    struct enrich_metrics *m;
    char **str;
    size_t d;
    int i;

    if (ctx == NULL || !cmt.done || cmt.missing != NULL || nstrs < 3 ||
        (str = calloc(nstrs, sizeof(*str))) == NULL) {
        free(strs);
        return NULL;
    }
    /* At most four series per metric, or one per product. */
    m = calloc(1, sizeof(*m) + (4 * ENRICH_NDEFS + nstrs) * sizeof(m->s[0]));
    if (m == NULL) {
        free(str);
        free(strs);
        return NULL;
    }
    m->strs = strs;
    for (i = 0; i < nstrs; i++) {
        str[i] = strs;
        strs += strlen(strs) + 1;
    }
    for (d = 0; d < ENRICH_NDEFS; d++) {
        int info = strcmp(enrich_defs[d].name, "info") == 0;
        int nlabels = enrich_defs[d].key == NULL ? 1 : info ? 3 : 2;
        int products = enrich_defs[d].key != NULL && strcmp(enrich_defs[d].key, "product") == 0;
        int count = 0;
        void *metric;

        while (enrich_defs[d].values[count] != NULL) {
            count++;
        }
        if (products) {
            count = nstrs - 3;
        } else if (count == 0) {
            count = 1;
        }
        keys[1] = (char *) enrich_defs[d].key;
        metric = cmt.new[enrich_defs[d].gauge](ctx, "fluentbit", "enrich", (char *) enrich_defs[d].name,
                                               (char *) enrich_defs[d].help, nlabels, keys);
        if (metric == NULL) {
            free(str);
            enrich_metrics_free(m);
            return NULL;
        }
        for (i = 0; i < count; i++) {
            struct enrich_series *s = &m->s[m->n++];

            s->metric = metric;
            s->gauge = enrich_defs[d].gauge;
            s->nlabels = nlabels;
            s->labels[0] = str[0];
            s->labels[1] = info ? str[1] : products ? str[3 + i] : (char *) enrich_defs[d].values[i];
            s->labels[2] = str[2];
            s->value = 1; /* what info keeps */
        }
    }
    free(str);
    return m;
}

int enrich_metrics_set(struct enrich_metrics *m, const int64_t *values, int n)
{
    struct timespec ts;
    uint64_t now;
    int failed = 0;
    int i;

    if (m == NULL) {
        return -1;
    }
    clock_gettime(CLOCK_REALTIME, &ts);
    now = (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
    for (i = 0; i < m->n; i++) {
        struct enrich_series *s = &m->s[i];

        if (i < n) {
            s->value = (double) values[i];
        }
        if (cmt.set[s->gauge](s->metric, now, s->value, s->nlabels, s->labels) != 0) {
            failed++;
        }
    }
    return failed;
}

void enrich_metrics_free(struct enrich_metrics *m)
{
    if (m != NULL) {
        free(m->strs);
        free(m);
    }
}
