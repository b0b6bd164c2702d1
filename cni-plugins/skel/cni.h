/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The shared CNI skeleton of berth's plugins (static library `cni-skel`).
 *
 * Theory of operation: a plugin is a `struct cni_plugin` (name, callbacks,
 * the CNI_ARGS keys it reads) handed to cni_plugin_main(). The skeleton
 * validates the environment (CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS,
 * CNI_IFNAME, CNI_ARGS, CNI_PATH) per verb, reads stdin with a size limit,
 * parses it with jansson, checks the version, parses `prevResult` into a
 * `struct cni_result` and calls the verb's callback with a `struct
 * cni_request`. A callback returns >= 0 or -errno and, on failure, fills a
 * `struct cni_error` (CNI code, msg, details). The skeleton prints results
 * converted to the config's cniVersion, errors as
 * {"cniVersion","code","msg","details"} on stdout with exit status 1, and
 * logs on stderr only.
 *
 * Config keys are looked up exactly first, then case-insensitively (Go
 * runtimes send `HostPort` as well as `hostPort`). Unknown keys are ignored;
 * known keys are type-checked and the error names the field. Every size and
 * count is bounded (CNI_MAX_*).
 */
#pragma once

#include "net/ipaddr.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* --- limits ------------------------------------------------------------------ */

#define CNI_MAX_STDIN (4u << 20)  /* bytes of config on stdin */
#define CNI_MAX_STRING 4096u	  /* any string value read from the config */
#define CNI_MAX_NAME 255u	  /* network name */
#define CNI_MAX_CONTAINER_ID 200u /* leaves room for "<id>_<ifname>.json" in a file name */
#define CNI_MAX_PATH 4096u	  /* CNI_NETNS, dataDir, ... */
#define CNI_MAX_ENV 65536u	  /* CNI_ARGS, CNI_PATH */
#define CNI_MAX_ARGS 128u	  /* CNI_ARGS pairs */
#define CNI_MAX_INTERFACES 64u
#define CNI_MAX_IPS 128u
#define CNI_MAX_ROUTES 1024u
#define CNI_MAX_DNS_ENTRIES 64u	   /* nameservers, search, options each */
#define CNI_MAX_ATTACHMENTS 65536u /* GC cni.dev/valid-attachments */

/* --- versions and verbs ------------------------------------------------------- */

enum cni_version {
	CNI_VERSION_0_1_0,
	CNI_VERSION_0_2_0,
	CNI_VERSION_0_3_0,
	CNI_VERSION_0_3_1,
	CNI_VERSION_0_4_0,
	CNI_VERSION_1_0_0,
	CNI_VERSION_1_1_0,
	_CNI_VERSION_MAX,
	_CNI_VERSION_INVALID = -EINVAL,
};

/* "0.3.1" -> CNI_VERSION_0_3_1; an exact string match, -EINVAL otherwise. */
int cni_version_from_string(const char *s);
const char *cni_version_to_string(enum cni_version v);

enum cni_cmd {
	CNI_CMD_ADD,
	CNI_CMD_DEL,
	CNI_CMD_CHECK,
	CNI_CMD_STATUS,
	CNI_CMD_VERSION,
	CNI_CMD_GC,
	_CNI_CMD_MAX,
	_CNI_CMD_INVALID = -EINVAL,
};

int cni_cmd_from_string(const char *s);
const char *cni_cmd_to_string(enum cni_cmd c);

/* --- errors -------------------------------------------------------------------- */

/* Spec codes, then berth's own (>= 100, documented in docs/cni.md). */
enum cni_code {
	CNI_ERR_INCOMPATIBLE_VERSION = 1,
	CNI_ERR_UNSUPPORTED_FIELD = 2,
	CNI_ERR_UNKNOWN_CONTAINER = 3,
	CNI_ERR_INVALID_ENV = 4,
	CNI_ERR_IO = 5,
	CNI_ERR_DECODE = 6,
	CNI_ERR_INVALID_CONFIG = 7,
	CNI_ERR_INVALID_NETNS = 8,
	CNI_ERR_TRY_AGAIN = 11,
	CNI_ERR_NOT_AVAILABLE = 50,
	CNI_ERR_DEGRADED = 51,
	CNI_ERR_BERTH_NETNS = 100,    /* CNI_NETNS cannot be opened or is not a network namespace */
	CNI_ERR_BERTH_KERNEL = 101,   /* a netlink request or sysctl write failed */
	CNI_ERR_BERTH_STATE = 102,    /* the plugin's state directory or files */
	CNI_ERR_BERTH_CHECK = 103,    /* CHECK found a value different from the config */
	CNI_ERR_BERTH_CONVERT = 104,  /* a result cannot be expressed in the requested version */
	CNI_ERR_BERTH_INTERNAL = 105, /* out of memory, output failure */
};

struct cni_error {
	unsigned code;
	int errnum;    /* positive errno of the root cause */
	char *msg;     /* short, names the field or object */
	char *details; /* may be NULL */
};

/*
 * Set *reterr (replacing an older error) and return -errnum (-EINVAL when
 * errnum is 0). details_fmt may be NULL.
 */
int cni_error_set(struct cni_error **reterr, int errnum, unsigned code, const char *msg,
		  const char *details_fmt, ...) __attribute__((format(printf, 5, 6)));
/*
 * lib's error (may be NULL) as the CNI error object: msg, and the lib text
 * (context chain and the root errno's text) as details. e stays the caller's.
 */
struct berth_error;
int cni_error_from_berth(struct cni_error **reterr, const struct berth_error *e, unsigned code,
			 const char *msg);
/* Prefix "<ctx>: " to the error's msg; sets a generic internal error when none is set. */
int cni_error_wrap(struct cni_error **reterr, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void cni_error_free(struct cni_error *e);
static inline void cni_error_freep(struct cni_error **e)
{
	cni_error_free(*e);
	*e = NULL;
}
#define _cleanup_cni_error_ __attribute__((cleanup(cni_error_freep)))

/* The error object the plugins print: {"cniVersion","code","msg"[,"details"]}. */
json_t *cni_error_to_json(const struct cni_error *e, const char *cni_version);

/* --- JSON access (case-insensitive keys, type-checked) ---------------------------- */

/* obj[key]: exact match first, then the first key equal ignoring ASCII case. */
json_t *cni_json_get(const json_t *obj, const char *key);

/*
 * Typed getters. `where` is the path of obj used in error messages
 * ("", "args.cni", "runtimeConfig", ...). Each returns 1 when the key is
 * present (and *ret set), 0 when absent or JSON null (*ret untouched), or
 * -EINVAL with a CNI_ERR_INVALID_CONFIG error naming the field.
 */
int cni_json_string(const json_t *obj, const char *where, const char *key, size_t max_len,
		    const char **ret, struct cni_error **reterr);
int cni_json_bool(const json_t *obj, const char *where, const char *key, bool *ret,
		  struct cni_error **reterr);
/* A bool, or the strings "true"/"false" (disableCheck, disableGC). */
int cni_json_boolish(const json_t *obj, const char *where, const char *key, bool *ret,
		     struct cni_error **reterr);
int cni_json_int(const json_t *obj, const char *where, const char *key, long long min,
		 long long max, long long *ret, struct cni_error **reterr);
int cni_json_object(const json_t *obj, const char *where, const char *key, size_t max_size,
		    json_t **ret, struct cni_error **reterr);
int cni_json_array(const json_t *obj, const char *where, const char *key, size_t max_size,
		   json_t **ret, struct cni_error **reterr);

/* --- results ------------------------------------------------------------------------ */

struct cni_interface {
	char *name;
	char *mac;	   /* NULL = absent */
	char *sandbox;	   /* NULL = host interface */
	char *socket_path; /* 1.1.0 */
	char *pci_id;	   /* 1.1.0 */
	unsigned mtu;	   /* 1.1.0; 0 = absent */
};

struct cni_ipconfig {
	struct berth_ipnet address; /* host address with prefix */
	struct berth_ip gateway;    /* family 0 = absent */
	int interface;		    /* index into interfaces, -1 = absent */
};

struct cni_route {
	struct berth_ipnet dst;
	struct berth_ip gw; /* family 0 = absent */
	/* 1.1.0 extras; 0 / has_* false = absent */
	unsigned mtu, advmss, priority;
	bool has_table, has_scope;
	int table, scope;
};

struct cni_strv {
	char **v;
	size_t n;
};

struct cni_dns {
	struct cni_strv nameservers;
	char *domain;
	struct cni_strv search;
	struct cni_strv options;
};

/* Always the 1.1.0 shape internally; converted on output. */
struct cni_result {
	struct cni_interface *interfaces;
	size_t n_interfaces;
	struct cni_ipconfig *ips;
	size_t n_ips;
	struct cni_route *routes;
	size_t n_routes;
	struct cni_dns dns;
};

struct cni_result *cni_result_new(void);
struct cni_result *cni_result_free(struct cni_result *r);
static inline void cni_result_freep(struct cni_result **r)
{
	*r = cni_result_free(*r);
}
#define _cleanup_cni_result_ __attribute__((cleanup(cni_result_freep)))

/* Append; returns the new interface's index or -ENOSPC / -ENOMEM. mac, sandbox may be NULL. */
int cni_result_add_interface(struct cni_result *r, const char *name, const char *mac,
			     const char *sandbox);
int cni_result_add_ip(struct cni_result *r, const struct cni_ipconfig *ip);
int cni_result_add_route(struct cni_result *r, const struct cni_route *route);
/* Index of the interface called name (with a sandbox when want_sandbox), -ENOENT. */
int cni_result_find_interface(const struct cni_result *r, const char *name, bool want_sandbox);

/*
 * Parse a result (prevResult, a cached result, a delegate's output) of the
 * shape of version v into the internal shape. Errors are CNI_ERR_DECODE
 * naming the field under `where` ("prevResult").
 */
int cni_result_from_json(const json_t *j, enum cni_version v, const char *where,
			 struct cni_result **ret, struct cni_error **reterr);
/*
 * Emit the result in the shape of version v (cni.md §2): 1.x omits an empty
 * dns and drops the 1.1 interface fields below 1.1.0; 0.3.x/0.4.0 add
 * ips[].version and always emit dns; 0.1.0/0.2.0 keep the first v4 and v6
 * address (CNI_ERR_BERTH_CONVERT when there is none).
 */
int cni_result_to_json(const struct cni_result *r, enum cni_version v, json_t **ret,
		       struct cni_error **reterr);

/* --- the request ------------------------------------------------------------------- */

struct cni_arg {
	char *key;
	char *value;
};

struct cni_attachment {
	char *container_id;
	char *ifname;
};

struct cni_request {
	enum cni_cmd cmd;
	/* environment; NULL when unset or empty */
	const char *container_id;
	const char *netns;
	const char *ifname;
	const char *path;
	const char *args_raw;
	struct cni_arg *args; /* CNI_ARGS pairs, in order */
	size_t n_args;

	/* stdin */
	char *stdin_data; /* NUL-terminated */
	size_t stdin_len;
	json_t *config; /* the whole object */
	enum cni_version version;
	const char *version_str; /* as sent ("0.1.0" when absent) */
	const char *name;
	const char *type;		/* may be NULL */
	json_t *runtime_config;		/* "runtimeConfig" object or NULL */
	json_t *args_cni;		/* "args"."cni" object or NULL */
	struct cni_result *prev_result; /* NULL when absent; plugins may take it (TAKE_PTR) */

	/* GC */
	struct cni_attachment *valid_attachments;
	size_t n_valid_attachments;
};

/* The value of CNI_ARGS key (case-sensitive), NULL when absent. */
const char *cni_request_arg(const struct cni_request *req, const char *key);

/* --- plugins ------------------------------------------------------------------------- */

struct cni_plugin {
	const char *name;	      /* the executable's name, also the log target */
	enum cni_version min_version; /* lowest supported version (the rest up to 1.1.0) */
	/*
	 * The CNI_ARGS keys the plugin reads (NULL-terminated). A key not in the
	 * list is an error unless IgnoreUnknown=1|true is present. NULL: CNI_ARGS
	 * is not interpreted at all (loopback).
	 */
	const char *const *args_keys;
	/* ADD: *ret_result is printed in the config's version. */
	int (*add)(struct cni_request *req, struct cni_result **ret_result,
		   struct cni_error **reterr);
	int (*del)(struct cni_request *req, struct cni_error **reterr);
	int (*check)(struct cni_request *req, struct cni_error **reterr);
	/* NULL = success, no output. */
	int (*status)(struct cni_request *req, struct cni_error **reterr);
	int (*gc)(struct cni_request *req, struct cni_error **reterr);
};

/* How the skeleton sees the world (tests pass their own). */
struct cni_io {
	const char *(*getenv)(const char *name);
	int in_fd;
	FILE *out;
	FILE *err;
};

/* Run one invocation; returns the process exit status (0 or 1). */
int cni_skel_run(const struct cni_plugin *p, const struct cni_io *io);
/* cni_skel_run() with the process's environment, stdin, stdout and stderr. */
int cni_plugin_main(const struct cni_plugin *p, int argc, char **argv);

/* Parse CNI_ARGS ("K=V;K2=V2") into pairs; CNI_ERR_INVALID_ENV on a bad pair or too many. */
int cni_args_parse(const char *s, struct cni_arg **ret, size_t *ret_n, struct cni_error **reterr);
void cni_args_free(struct cni_arg *a, size_t n);

/* The container id rule: ^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$ (also network names). */
bool cni_name_valid(const char *s);

/* --- namespaces ------------------------------------------------------------------------ */

struct berth_netns;
/*
 * Open CNI_NETNS; on failure a CNI_ERR_BERTH_NETNS error naming the path.
 * Returns -ENOENT when it does not exist and -EINVAL when it is not a network
 * namespace (DEL treats both as "already gone").
 */
int cni_netns_open(const char *path, struct berth_netns **ret, struct cni_error **reterr);
