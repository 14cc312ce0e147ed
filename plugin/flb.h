/*
 * The part of Fluent Bit's Go proxy ABI the plugin uses, declared here
 * rather than taken from fluent-bit-go so that the plugin can reach
 * log_print and output_log_check, which fluent-bit-go does not expose.
 * Layouts follow Fluent Bit 5.x: include/fluent-bit/flb_plugin_proxy.h,
 * include/fluent-bit/flb_api.h and src/proxy/go/go.h.
 */
#ifndef ENRICH_FLB_H
#define ENRICH_FLB_H

#include <stddef.h>

#define ENRICH_FLB_ERROR 0
#define ENRICH_FLB_OK    1
#define ENRICH_FLB_RETRY 2

#define ENRICH_FLB_LOG_ERROR 1
#define ENRICH_FLB_LOG_WARN  2
#define ENRICH_FLB_LOG_INFO  3
#define ENRICH_FLB_LOG_DEBUG 4

/* Filled by FLBPluginRegister. Fluent Bit 4.2.3 and 5.1.1 added
 * event_type and config_map at the end and zero the struct; the plugin
 * writes only the first five fields, so older hosts work too. */
struct flb_plugin_proxy_def {
    int type;
    int proxy;
    int flags;
    char *name;
    char *description;
    int event_type;
    void *config_map;
};

/* The functions Fluent Bit lends to proxy plugins, in ABI order. */
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

struct flb_plugin_proxy_context {
    void *remote_context;
    void *proxy;
};

/* Passed to FLBPluginInit. One struct serves every instance of the .so
 * and is overwritten before each Init, so it is read during Init only. */
struct flbgo_output_plugin {
    char *name;
    struct flb_api *api;
    void *o_ins;
    struct flb_plugin_proxy_context *context;
};

/* Defined in flb.c, in front of the Go exports enrichInit and enrichExitCtx. */
int FLBPluginInit(void *plugin);
int FLBPluginExitCtx(void *ctx);

int enrich_register(struct flb_plugin_proxy_def *def);
const char *enrich_get_property(struct flbgo_output_plugin *p, const char *key);
int enrich_set_context(struct flbgo_output_plugin *p, void *ctx);
void enrich_log(struct flb_api *api, void *o_ins, int level, const char *msg);
int enrich_log_enabled(struct flb_api *api, void *o_ins, int level);
int enrich_refuse_old_api(void);
long enrich_thread_id(void);
void enrich_save_fault_handlers(void);
void enrich_restore_fault_handlers(void);

/* One series of a cmetrics counter or gauge: Go writes value, then
 * enrich_cmt_update sets every series of an instance in one call. */
struct enrich_series {
    void *metric;
    int gauge;
    int nlabels;
    char **labels;
    double value;
};

const char *enrich_cmt_resolve(void);
void *enrich_cmt_context(struct flb_api *api, void *o_ins);
const char *enrich_output_name(void *o_ins);
void *enrich_cmt_new(void *cmt, int gauge, char *name, char *help, int nkeys, char **keys);
int enrich_cmt_update(struct enrich_series *s, int n);

#endif
