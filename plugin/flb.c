/*
 * C side of the boundary: the few accesses to Fluent Bit's structs and the
 * calls to its variadic logger, which Go cannot make directly. Every
 * function tolerates NULL pointers so that a host that passes less than
 * Fluent Bit does cannot crash the plugin.
 */
#define _GNU_SOURCE
#include <sys/syscall.h>
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
