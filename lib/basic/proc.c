// SPDX-License-Identifier: Apache-2.0
/* See proc.h. */
#include "proc.h"

#include "basic/child.h"
#include "basic/cleanup.h"
#include "basic/time-util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct berth_proc {
	pid_t pid;
	int pidfd;
	int in, out; /* our ends: the child's stdin (to write), its stdout (to read); -1 = none */
	const char *input;
	size_t input_len, written;
	size_t max_output;
	int64_t deadline;
};

static void child_exec(const struct berth_proc_spec *s, int in, int out)
{
	/* the child's fds 0-2; everything else berth holds is close-on-exec */
	if (in >= 0 && dup2(in, STDIN_FILENO) < 0)
		_exit(127);
	if (out > 0 && dup2(out, STDOUT_FILENO) < 0)
		_exit(127);
	if (s->stderr_fd > 0 && dup2(s->stderr_fd, STDERR_FILENO) < 0)
		_exit(127);
	sigset_t none;
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	(void)signal(SIGPIPE, SIG_DFL);
	for (size_t i = 0; s->set_env && s->set_env[i]; i++)
		if (putenv(s->set_env[i]) != 0)
			_exit(127);
	if (strchr(s->path, '/'))
		execv(s->path, s->argv);
	else
		execvp(s->path, s->argv);
	_exit(127);
}

/* Whether path (or its $PATH lookup) names an executable file. */
static bool executable_found(const char *path)
{
	if (strchr(path, '/'))
		return access(path, X_OK) == 0;
	const char *p = getenv("PATH");
	if (!p)
		p = "/usr/local/bin:/usr/bin:/bin";
	for (int i = 0; i < 64 && *p; i++) {
		const char *end = strchr(p, ':');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		_cleanup_free_ char *c = NULL;
		if (len > 0 && asprintf(&c, "%.*s/%s", (int)len, p, path) >= 0 &&
		    access(c, X_OK) == 0)
			return true;
		if (!end)
			break;
		p = end + 1;
	}
	return false;
}

int berth_proc_start(const struct berth_proc_spec *s, struct berth_proc **ret)
{
	int inp[2] = {-1, -1}, outp[2] = {-1, -1};
	int devnull = -1, r;

	if (!s->path || !s->argv || !s->argv[0] || s->timeout_ms <= 0)
		return -EINVAL;
	if (!executable_found(s->path))
		return -ENOENT;
	_cleanup_free_ struct berth_proc *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	if (s->input) {
		if (pipe2(inp, O_CLOEXEC) < 0)
			goto fail_errno;
	} else if (!s->inherit_stdin) {
		devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (devnull < 0)
			goto fail_errno;
	}
	if (s->max_output > 0 && pipe2(outp, O_CLOEXEC) < 0)
		goto fail_errno;
	pid_t pid = fork();
	if (pid < 0)
		goto fail_errno;
	if (pid == 0)
		child_exec(s, s->input ? inp[0] : devnull,
			   s->max_output > 0 ? outp[1] : s->stdout_fd);
	if (devnull >= 0)
		close(devnull);
	if (inp[0] >= 0)
		close(inp[0]);
	if (outp[1] >= 0)
		close(outp[1]);
	*p = (struct berth_proc){
		.pid = pid,
		.pidfd = berth_pidfd_open(pid),
		.in = inp[1],
		.out = outp[0],
		.input = s->input,
		.input_len = s->input_len,
		.max_output = s->max_output,
		.deadline = berth_now_ms() + s->timeout_ms,
	};
	if (p->in >= 0) {
		(void)fcntl(p->in, F_SETFL, O_NONBLOCK);
		/* most inputs fit the pipe: write now so the child can start at once */
		ssize_t w = p->input_len ? write(p->in, p->input, p->input_len) : 0;
		if (w > 0)
			p->written = (size_t)w;
		if (p->written == p->input_len) {
			close(p->in);
			p->in = -1;
		}
	}
	if (p->out >= 0)
		(void)fcntl(p->out, F_SETFL, O_NONBLOCK);
	*ret = TAKE_PTR(p);
	return 0;

fail_errno:
	r = -errno;
	for (int i = 0; i < 2; i++) {
		if (inp[i] >= 0)
			close(inp[i]);
		if (outp[i] >= 0)
			close(outp[i]);
	}
	if (devnull >= 0)
		close(devnull);
	return r;
}

pid_t berth_proc_pid(const struct berth_proc *p)
{
	return p ? p->pid : -1;
}

int berth_proc_finish(struct berth_proc *p, char **ret_out, size_t *ret_len, int *ret_status)
{
	if (!p)
		return -EINVAL;
	_cleanup_free_ struct berth_proc *owned = p;
	_cleanup_free_ char *out = NULL;
	size_t len = 0;
	bool timed_out = false;
	int status = 0, r;

	if (p->max_output > 0 && !(out = malloc(p->max_output + 1))) {
		berth_proc_free(TAKE_PTR(owned));
		return -ENOMEM;
	}
	while (p->out >= 0 || p->in >= 0) {
		int64_t now = berth_now_ms();
		if (now >= p->deadline) {
			timed_out = true;
			break;
		}
		struct pollfd pfd[2] = {{.fd = p->out, .events = POLLIN},
					{.fd = p->in, .events = POLLOUT}};
		int n = poll(pfd, 2, (int)(p->deadline - now));
		if (n < 0 && errno != EINTR)
			break;
		if (n <= 0)
			continue;
		if (p->in >= 0 && (pfd[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t w = write(p->in, p->input + p->written, p->input_len - p->written);
			if (w > 0)
				p->written += (size_t)w;
			if ((w < 0 && errno != EAGAIN && errno != EINTR) ||
			    p->written == p->input_len) {
				close(p->in);
				p->in = -1;
			}
		}
		if (p->out >= 0 && (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			char tmp[4096];
			ssize_t rd = read(p->out, tmp, sizeof(tmp));
			if (rd > 0) {
				size_t take = (size_t)rd;
				if (take > p->max_output - len)
					take = p->max_output - len;
				memcpy(out + len, tmp, take);
				len += take;
			} else if (rd == 0 || (errno != EAGAIN && errno != EINTR)) {
				close(p->out);
				p->out = -1;
			}
		}
	}
	if (p->in >= 0)
		close(p->in);
	if (p->out >= 0)
		close(p->out);
	p->in = p->out = -1;
	if (timed_out)
		(void)kill(p->pid, SIGKILL);
	r = berth_child_wait(p->pid, p->pidfd, p->deadline, &status);
	if (r == -ETIMEDOUT) {
		(void)kill(p->pid, SIGKILL);
		timed_out = true;
		r = berth_child_wait(p->pid, p->pidfd, berth_now_ms() + 5000, &status);
	}
	if (p->pidfd >= 0)
		close(p->pidfd);
	if (r < 0)
		return r;
	if (timed_out)
		return -ETIMEDOUT;
	if (out)
		out[len] = '\0';
	if (ret_status)
		*ret_status = status;
	if (ret_len)
		*ret_len = len;
	if (ret_out)
		*ret_out = TAKE_PTR(out);
	return 0;
}

void berth_proc_free(struct berth_proc *p)
{
	if (!p)
		return;
	if (p->in >= 0)
		close(p->in);
	if (p->out >= 0)
		close(p->out);
	(void)kill(p->pid, SIGKILL);
	int status;
	(void)berth_child_wait(p->pid, p->pidfd, berth_now_ms() + 5000, &status);
	if (p->pidfd >= 0)
		close(p->pidfd);
	free(p);
}

int berth_proc_run(const struct berth_proc_spec *s, char **ret_out, size_t *ret_len,
		   int *ret_status)
{
	struct berth_proc *p = NULL;
	int r = berth_proc_start(s, &p);
	if (r < 0)
		return r;
	return berth_proc_finish(p, ret_out, ret_len, ret_status);
}

int berth_proc_exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 255;
}
