// SPDX-License-Identifier: Apache-2.0
/* See delegate.h. */
#include "delegate.h"

#include "basic/child.h"
#include "basic/cleanup.h"
#include "basic/log.h"
#include "basic/time-util.h"
#include "net/ipaddr.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
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

static void child(const char *path, const char *type, const char *cmd, int in, int out)
{
	if (dup2(in, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0)
		_exit(127);
	if (setenv("CNI_COMMAND", cmd, 1) < 0)
		_exit(127);
	char *const argv[] = {(char *)type, NULL};
	execv(path, argv);
	_exit(127);
}

struct cni_delegate {
	const char *type;
	enum cni_cmd cmd;
	const char *stdin_data;
	size_t stdin_len, written;
	pid_t pid;
	int pidfd, in, out; /* in: the child's stdin (ours to write), out: its stdout */
	char *buf;
	size_t len;
	int timeout_ms;
	int64_t deadline;
};

int cni_delegate_start(const struct cni_request *req, const char *type, enum cni_cmd cmd,
		       struct cni_delegate **ret, struct cni_error **reterr)
{
	char path[CNI_MAX_PATH];
	int inp[2] = {-1, -1}, outp[2] = {-1, -1};
	int r;

	if (strchr(type, '/') || streq(type, ".") || streq(type, ".."))
		return cni_error_set(reterr, EINVAL, CNI_ERR_INVALID_CONFIG,
				     "invalid network config", "ipam.type: bad plugin name '%s'",
				     type);
	if (find_plugin(req->path, type, path, sizeof(path)) < 0)
		return cni_error_set(reterr, ENOENT, CNI_ERR_INVALID_CONFIG,
				     "failed to find plugin", "\"%s\" in path [%s]", type,
				     req->path ? req->path : "");
	_cleanup_free_ struct cni_delegate *d = calloc(1, sizeof(*d));
	_cleanup_free_ char *buf = malloc(DELEGATE_MAX_OUTPUT + 1);
	if (!d || !buf)
		return cni_error_set(reterr, ENOMEM, CNI_ERR_BERTH_INTERNAL, "out of memory", NULL);
	if (pipe2(inp, O_CLOEXEC) < 0 || pipe2(outp, O_CLOEXEC) < 0) {
		r = -errno;
		goto fail_pipes;
	}
	pid_t pid = fork();
	if (pid < 0) {
		r = -errno;
		goto fail_pipes;
	}
	if (pid == 0)
		child(path, type, cni_cmd_to_string(cmd), inp[0], outp[1]);
	close(inp[0]);
	close(outp[1]);
	(void)fcntl(inp[1], F_SETFL, O_NONBLOCK);
	(void)fcntl(outp[0], F_SETFL, O_NONBLOCK);
	*d = (struct cni_delegate){
	    .type = type,
	    .cmd = cmd,
	    .stdin_data = req->stdin_data,
	    .stdin_len = req->stdin_len,
	    .pid = pid,
	    .pidfd = berth_pidfd_open(pid),
	    .in = inp[1],
	    .out = outp[0],
	    .buf = TAKE_PTR(buf),
	    .timeout_ms = delegate_timeout_ms(),
	};
	d->deadline = berth_now_ms() + d->timeout_ms;
	if (d->stdin_len == 0) {
		close(d->in);
		d->in = -1;
	} else {
		/* most configs fit the pipe: the child can start at once */
		ssize_t w = write(d->in, d->stdin_data, d->stdin_len);
		if (w > 0)
			d->written = (size_t)w;
		if (d->written == d->stdin_len) {
			close(d->in);
			d->in = -1;
		}
	}
	*ret = TAKE_PTR(d);
	return 0;

fail_pipes:
	for (int i = 0; i < 2; i++) {
		if (inp[i] >= 0)
			close(inp[i]);
		if (outp[i] >= 0)
			close(outp[i]);
	}
	return cni_error_set(reterr, -r, CNI_ERR_BERTH_INTERNAL, "failed to run the IPAM plugin",
			     "%s: %s", type, strerror(-r));
}

int cni_delegate_finish(struct cni_delegate *d, char **ret_out, struct cni_error **reterr)
{
	if (!d)
		return cni_error_set(reterr, EINVAL, CNI_ERR_BERTH_INTERNAL,
				     "failed to run the IPAM plugin", NULL);
	_cleanup_free_ struct cni_delegate *owned = d; /* freed on return, whatever happens */
	_cleanup_free_ char *out = TAKE_PTR(d->buf);
	const char *type = d->type;
	enum cni_cmd cmd = d->cmd;
	pid_t pid = d->pid;
	int pidfd = d->pidfd, timeout_ms = d->timeout_ms, r, status = 0;
	int inp[2] = {-1, d->in}, outp[2] = {d->out, -1};
	size_t len = 0, written = d->written;
	int64_t deadline = d->deadline;
	bool timed_out = false;
	while (outp[0] >= 0) {
		int64_t now = berth_now_ms();
		if (now >= deadline) {
			timed_out = true;
			break;
		}
		struct pollfd pfd[2] = {{.fd = outp[0], .events = POLLIN},
					{.fd = inp[1], .events = POLLOUT}};
		int n = poll(pfd, inp[1] >= 0 ? 2 : 1, (int)(deadline - now));
		if (n < 0 && errno != EINTR)
			break;
		if (n <= 0)
			continue;
		if (inp[1] >= 0 && (pfd[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t w =
			    write(inp[1], d->stdin_data + written, d->stdin_len - written);
			if (w > 0)
				written += (size_t)w;
			if ((w < 0 && errno != EAGAIN && errno != EINTR) ||
			    written == d->stdin_len) {
				close(inp[1]);
				inp[1] = -1;
			}
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			char tmp[4096];
			ssize_t rd = read(outp[0], tmp, sizeof(tmp));
			if (rd > 0) {
				size_t take = (size_t)rd;
				if (take > DELEGATE_MAX_OUTPUT - len)
					take = DELEGATE_MAX_OUTPUT - len;
				memcpy(out + len, tmp, take);
				len += take;
			} else if (rd == 0 || (errno != EAGAIN && errno != EINTR)) {
				close(outp[0]);
				outp[0] = -1;
			}
		}
	}
	if (inp[1] >= 0)
		close(inp[1]);
	if (outp[0] >= 0)
		close(outp[0]);
	if (timed_out)
		(void)kill(pid, SIGKILL);
	/* The child closed stdout: it exits soon; bound the wait anyway. */
	r = berth_child_wait(pid, pidfd, deadline, &status);
	if (r == -ETIMEDOUT) {
		(void)kill(pid, SIGKILL);
		timed_out = true;
		r = berth_child_wait(pid, pidfd, berth_now_ms() + 5000, &status);
	}
	if (pidfd >= 0)
		close(pidfd);
	if (r < 0)
		status = -1;
	out[len] = '\0';
	if (timed_out)
		return cni_error_set(reterr, ETIMEDOUT, CNI_ERR_TRY_AGAIN, "IPAM plugin timed out",
				     "%s %s: no answer within %d ms", type, cni_cmd_to_string(cmd),
				     timeout_ms);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		json_error_t jerr;
		json_auto_t *j = len ? json_loadb(out, len, 0, &jerr) : NULL;
		json_t *code = j ? json_object_get(j, "code") : NULL;
		json_t *msg = j ? json_object_get(j, "msg") : NULL;
		json_t *det = j ? json_object_get(j, "details") : NULL;
		if (json_is_integer(code) && json_is_string(msg))
			return cni_error_set(reterr, EIO, (unsigned)json_integer_value(code),
					     json_string_value(msg), "%s%s%s", type,
					     json_is_string(det) ? ": " : "",
					     json_is_string(det) ? json_string_value(det) : "");
		return cni_error_set(reterr, EIO, CNI_ERR_BERTH_INTERNAL, "IPAM plugin failed",
				     "%s %s: exit status %d%s%.200s", type, cni_cmd_to_string(cmd),
				     WIFEXITED(status) ? WEXITSTATUS(status) : -1, len ? ": " : "",
				     out);
	}
	if (ret_out)
		*ret_out = TAKE_PTR(out);
	return 0;
}

void cni_delegate_free(struct cni_delegate *d)
{
	if (!d)
		return;
	if (d->in >= 0)
		close(d->in);
	if (d->out >= 0)
		close(d->out);
	(void)kill(d->pid, SIGKILL);
	int status;
	(void)berth_child_wait(d->pid, d->pidfd, berth_now_ms() + 5000, &status);
	if (d->pidfd >= 0)
		close(d->pidfd);
	free(d->buf);
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
