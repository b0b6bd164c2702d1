// SPDX-License-Identifier: Apache-2.0
/* See delegate.h. */
#include "delegate.h"

#include "basic/cleanup.h"
#include "basic/log.h"
#include "basic/proc.h"
#include "net/ipaddr.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define DELEGATE_MAX_PATH_DIRS 64

static int find_plugin(const char *cni_path, const char *type, char *buf, size_t size)
{
	if (!cni_path)
		return -ENOENT;
	const char *p = cni_path;
	for (int i = 0; i < DELEGATE_MAX_PATH_DIRS && *p; i++) {
		const char *end = strchr(p, ':');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len > 0) {
			int n = snprintf(buf, size, "%.*s/%s", (int)len, p, type);
			if (n > 0 && (size_t)n < size && access(buf, X_OK) == 0)
				return 0;
		}
		if (!end)
			break;
		p = end + 1;
	}
	return -ENOENT;
}

/* DELEGATE_TIMEOUT_MS, or BERTH_CNI_DELEGATE_TIMEOUT_MS (100 .. 600000) for tests. */
static int delegate_timeout_ms(void)
{
	const char *s = getenv("BERTH_CNI_DELEGATE_TIMEOUT_MS");
	uint32_t v;
	if (s && berth_parse_u32(s, &v) == 0 && v >= 100 && v <= 600000)
		return (int)v;
	return DELEGATE_TIMEOUT_MS;
}

struct cni_delegate {
	const char *type;
	enum cni_cmd cmd;
	int timeout_ms;
	char env_cmd[32]; /* "CNI_COMMAND=<verb>" for the child */
	struct berth_proc *proc;
};

int cni_delegate_start(const struct cni_request *req, const char *type, enum cni_cmd cmd,
		       struct cni_delegate **ret, struct cni_error **reterr)
{
	char path[CNI_MAX_PATH];

	if (strchr(type, '/') || streq(type, ".") || streq(type, ".."))
		return cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_CONFIG,
				     "invalid network config", "ipam.type: bad plugin name '%s'",
				     type);
	if (find_plugin(req->path, type, path, sizeof(path)) < 0)
		return cni_error_set(reterr, ENOENT, CNI_ERR_INVALID_CONFIG,
				     "failed to find plugin", "\"%s\" in path [%s]", type,
				     req->path ? req->path : "");
	_cleanup_free_ struct cni_delegate *d = calloc(1, sizeof(*d));
	if (!d)
		return cni_error_set(reterr, ENOMEM, CNI_ERR_BERTH_INTERNAL, "out of memory", NULL);
	d->type = type;
	d->cmd = cmd;
	d->timeout_ms = delegate_timeout_ms();
	snprintf(d->env_cmd, sizeof(d->env_cmd), "CNI_COMMAND=%s", cni_cmd_to_string(cmd));
	/* the same stdin bytes and environment, only CNI_COMMAND changed; stderr passes through */
	char *const argv[] = {(char *)type, NULL};
	char *const env[] = {d->env_cmd, NULL};
	struct berth_proc_spec spec = {
		.path = path,
		.argv = argv,
		.set_env = env,
		.input = req->stdin_data ? req->stdin_data : "",
		.input_len = req->stdin_len,
		.max_output = DELEGATE_MAX_OUTPUT,
		.timeout_ms = d->timeout_ms,
	};
	int r = berth_proc_start(&spec, &d->proc);
	if (r < 0)
		return cni_error_set(reterr, -r, CNI_ERR_BERTH_INTERNAL,
				     "failed to run the IPAM plugin", "%s: %s", type, strerror(-r));
	*ret = TAKE_PTR(d);
	return 0;
}

int cni_delegate_finish(struct cni_delegate *d, char **ret_out, struct cni_error **reterr)
{
	if (!d)
		return cni_error_set(reterr, EINVAL, CNI_ERR_BERTH_INTERNAL,
				     "failed to run the IPAM plugin", NULL);
	_cleanup_free_ struct cni_delegate *owned = d; /* freed on return, whatever happens */
	_cleanup_free_ char *out = NULL;
	size_t len = 0;
	int status = 0;
	int r = berth_proc_finish(TAKE_PTR(d->proc), &out, &len, &status);
	if (r == -ETIMEDOUT)
		return cni_error_set(reterr, ETIMEDOUT, CNI_ERR_TRY_AGAIN, "IPAM plugin timed out",
				     "%s %s: no answer within %d ms", d->type,
				     cni_cmd_to_string(d->cmd), d->timeout_ms);
	if (r < 0)
		return cni_error_set(reterr, -r, CNI_ERR_BERTH_INTERNAL, "IPAM plugin failed",
				     "%s %s: %s", d->type, cni_cmd_to_string(d->cmd), strerror(-r));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		json_error_t jerr;
		json_auto_t *j = len ? json_loadb(out, len, 0, &jerr) : NULL;
		json_t *code = j ? json_object_get(j, "code") : NULL;
		json_t *msg = j ? json_object_get(j, "msg") : NULL;
		json_t *det = j ? json_object_get(j, "details") : NULL;
		if (json_is_integer(code) && json_is_string(msg))
			return cni_error_set(reterr, EIO, (unsigned)json_integer_value(code),
					     json_string_value(msg), "%s%s%s", d->type,
					     json_is_string(det) ? ": " : "",
					     json_is_string(det) ? json_string_value(det) : "");
		return cni_error_set(reterr, EIO, CNI_ERR_BERTH_INTERNAL, "IPAM plugin failed",
				     "%s %s: exit status %d%s%.200s", d->type,
				     cni_cmd_to_string(d->cmd),
				     WIFEXITED(status) ? WEXITSTATUS(status) : -1, len ? ": " : "",
				     out ? out : "");
	}
	if (ret_out)
		*ret_out = TAKE_PTR(out);
	return 0;
}

void cni_delegate_free(struct cni_delegate *d)
{
	if (!d)
		return;
	berth_proc_free(d->proc);
	free(d);
}

int cni_delegate_run(const struct cni_request *req, const char *type, enum cni_cmd cmd,
		     char **ret_out, struct cni_error **reterr)
{
	struct cni_delegate *d = NULL;
	int r = cni_delegate_start(req, type, cmd, &d, reterr);
	if (r < 0)
		return r;
	return cni_delegate_finish(d, ret_out, reterr);
}

int cni_delegate_add(const struct cni_request *req, const char *type, struct cni_result **ret,
		     struct cni_error **reterr)
{
	_cleanup_free_ char *out = NULL;
	json_error_t jerr;
	int r = cni_delegate_run(req, type, CNI_CMD_ADD, &out, reterr);
	if (r < 0)
		return r;
	json_auto_t *j = json_loads(out, 0, &jerr);
	if (!j)
		return cni_error_set(reterr, EBADMSG, CNI_ERR_DECODE,
				     "failed to decode the IPAM result", "%s: %s", type, jerr.text);
	return cni_result_from_json(j, req->version, "ipam result", ret, reterr);
}
