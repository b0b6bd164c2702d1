// SPDX-License-Identifier: Apache-2.0
/*
 * Container lifecycle: start (namespace, addresses, backend setup, /etc
 * files, overlay, runtime), the monitor that waits for the process,
 * stop, cleanup, remove, connect and disconnect. See container.h for the
 * journal.
 *
 * The monitor: start forks a child that becomes a child subreaper and
 * runs `crun create`; when crun create exits, the container's init is
 * reparented to the monitor, which runs `crun start`, tells the parent the
 * pid over a pipe and waits for the process. When it exits, the monitor
 * writes its exit code (exit.json), takes the engine lock and cleans up
 * (unless a stop already did), so that a container that ends by itself
 * leaves no network behind. In the foreground (run without -d) the
 * monitor keeps the terminal's stdio; detached, it writes ctr.log.
 */
#include "container.h"
#include "image.h"
#include "netsetup.h"
#include "oci.h"

#include "basic/child.h"
#include "basic/cleanup.h"
#include "basic/fileio.h"
#include "basic/log.h"
#include "basic/proc.h"
#include "basic/time-util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define START_TIMEOUT_MS 60000

/*
 * Read /proc/PID/stat once: the process's start time (field 22, to tell a
 * pid from its reuse) and whether it is a zombie (field 3). -1: no such
 * process.
 */
static long long proc_starttime(pid_t pid, bool *ret_zombie)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	char state = 0;
	long long st = -1;
	/* after ") ": state is field 3; starttime is field 22 */
	if (!p || sscanf(p + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d "
			 "%*d %*d %*d %lld",
			 &state, &st) != 2)
		return -1;
	if (ret_zombie)
		*ret_zombie = state == 'Z' || state == 'X';
	return st;
}

static bool ctr_process_alive(const struct eng_container *c)
{
	json_t *jp = json_object_get(c->j, "pid"), *js = json_object_get(c->j, "pid_start");
	if (!json_is_integer(jp) || json_integer_value(jp) <= 0)
		return false;
	bool zombie = false;
	long long st = proc_starttime((pid_t)json_integer_value(jp), &zombie);
	/* a zombie counts as gone */
	if (st < 0 || zombie)
		return false;
	return !json_is_integer(js) || json_integer_value(js) == st;
}

static const char **net_names(const struct eng_container *c, size_t *ret_n)
{
	json_t *nets = json_object_get(c->j, "networks");
	const char **v = calloc(json_object_size(nets) + 1, sizeof(*v));
	size_t n = 0;
	const char *k;
	json_t *val;
	if (!v)
		return NULL;
	json_object_foreach(nets, k, val)
		v[n++] = k;
	*ret_n = n;
	return v;
}

static int save(struct eng_container *c, struct berth_error **reterr)
{
	return eng_container_save(c, reterr);
}

static void save_quiet(struct eng_container *c)
{
	_cleanup_berth_error_ struct berth_error *e = NULL;
	if (eng_container_save(c, &e) < 0) {
		_cleanup_free_ char *t = berth_error_text(e);
		log_warn("%s", t ? t : "save the container record");
	}
}

static void warn_err(struct berth_error **e, const char *what)
{
	_cleanup_free_ char *t = *e ? berth_error_text(*e) : NULL;
	log_warn("%s: %s", what, t ? t : "failed");
	berth_error_freep(e);
}

/* ---- cleanup: undo what the record's flags say is set up ---- */

void eng_container_cleanup(struct eng_ctx *ctx, struct eng_container *c)
{
	_cleanup_berth_error_ struct berth_error *e = NULL;
	if (json_is_true(json_object_get(c->j, "runtime_created"))) {
		if (ctr_process_alive(c)) {
			pid_t pid = (pid_t)json_integer_value(json_object_get(c->j, "pid"));
			(void)kill(pid, SIGKILL);
			int pfd = berth_pidfd_open(pid);
			if (pfd >= 0) {
				struct pollfd p = {.fd = pfd, .events = POLLIN};
				(void)poll(&p, 1, 10000);
				close(pfd);
			}
		}
		char *const del[] = {(char *)"delete", (char *)"--force", (char *)c->id, NULL};
		if (eng_runtime(ctx, del, NULL, &e) < 0)
			berth_error_freep(&e); /* already gone: fine */
		json_object_del(c->j, "runtime_created");
		save_quiet(c);
	}
	json_t *up = json_object_get(c->j, "net_up");
	const char *netns = json_string_value(json_object_get(c->j, "netns"));
	if (json_array_size(up) && netns) {
		size_t n = json_array_size(up);
		const char **v = calloc(n + 1, sizeof(*v));
		for (size_t i = 0; v && i < n; i++)
			v[i] = json_string_value(json_array_get(up, i));
		if (v && eng_backend_call(ctx, c, netns, v, n, false, &e) < 0)
			warn_err(&e, "network teardown");
		free(v);
		json_object_del(c->j, "net_up");
		json_object_del(c->j, "status");
		save_quiet(c);
	}
	if (netns) {
		int r = eng_netns_delete(netns);
		if (r < 0)
			log_warn("delete network namespace %s: %s", netns, strerror(-r));
		json_object_del(c->j, "netns");
		save_quiet(c);
	}
	if (json_is_true(json_object_get(c->j, "mounted"))) {
		_cleanup_free_ char *merged = eng_path(c->dir, "merged");
		if (merged && umount2(merged, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
			log_warn("unmount %s: %s", merged, strerror(errno));
		json_object_del(c->j, "mounted");
		save_quiet(c);
	}
}

static void read_exit_file(struct eng_container *c)
{
	_cleanup_free_ char *path = eng_path(c->dir, "exit.json");
	_cleanup_free_ char *buf = NULL;
	size_t len;
	if (!path || read_file_limited(path, 4096, &buf, &len) < 0)
		return;
	json_auto_t *j = json_loadb(buf, len, 0, NULL);
	json_t *code = json_object_get(j, "exit_code"), *at = json_object_get(j, "finished_at");
	if (json_is_integer(code))
		json_object_set(c->j, "exit_code", code);
	if (json_is_string(at))
		json_object_set(c->j, "finished_at", at);
}

static void mark_exited(struct eng_container *c)
{
	char now[64];
	eng_now_rfc3339(now);
	json_object_set_new(c->j, "state", json_string("exited"));
	json_object_set_new(c->j, "finished_at", json_string(now));
	read_exit_file(c);
	json_object_del(c->j, "pid");
	json_object_del(c->j, "pid_start");
}

void eng_container_refresh(struct eng_ctx *ctx, struct eng_container *c)
{
	if (eng_container_state(c) != ENG_STATE_RUNNING || ctr_process_alive(c))
		return;
	/* gone without its monitor cleaning up (the monitor was killed, or is about to) */
	if (eng_journal_begin(ctx, c->id, "stop", NULL) < 0)
		return;
	eng_container_cleanup(ctx, c);
	mark_exited(c);
	save_quiet(c);
	eng_journal_end(ctx, c->id);
}

/* ---- the monitor ---- */

struct monitor_args {
	struct eng_ctx *ctx;
	struct eng_container *c;
	const char *bundle;
	bool attach;
	int report_fd; /* write end of the pipe to the parent */
};

static void report(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(int fd, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		(void)!write(fd, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

static volatile sig_atomic_t forward_pid;
static void forward_signal(int sig)
{
	if (forward_pid > 0)
		(void)kill((pid_t)forward_pid, sig);
}

static int write_exit_file(struct eng_container *c, int status)
{
	char now[64];
	eng_now_rfc3339(now);
	json_auto_t *j = json_pack("{s:i, s:s}", "exit_code", berth_proc_exit_code(status),
				   "finished_at", now);
	_cleanup_free_ char *s = json_dumps(j, JSON_COMPACT);
	_cleanup_free_ char *path = eng_path(c->dir, "exit.json");
	if (!s || !path)
		return -ENOMEM;
	return write_file_atomic(path, s, strlen(s), 0600);
}

static _Noreturn void monitor(struct monitor_args *a)
{
	struct eng_ctx *ctx = a->ctx;
	struct eng_container *c = a->c;
	_cleanup_berth_error_ struct berth_error *e = NULL;

	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
		report(a->report_fd, "err prctl(PR_SET_CHILD_SUBREAPER): %s\n", strerror(errno));
		_exit(ENG_EXIT_ERROR);
	}
	if (!a->attach) {
		(void)setsid();
		_cleanup_free_ char *log = eng_path(c->dir, "ctr.log");
		int lfd = log ? open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600) : -1;
		int nfd = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (lfd < 0 || nfd < 0 || dup2(nfd, 0) < 0 || dup2(lfd, 1) < 0 || dup2(lfd, 2) < 0) {
			report(a->report_fd, "err open the log %s: %s\n", log ? log : "",
			       strerror(errno));
			_exit(ENG_EXIT_ERROR);
		}
		close(lfd), close(nfd);
	}
	_cleanup_free_ char *pidfile = eng_path(c->dir, "pidfile");
	char *const create[] = {(char *)"create", (char *)"--bundle", (char *)a->bundle, (char *)"--pid-file", pidfile,
				(char *)c->id, NULL};
	char **argv = pidfile ? eng_runtime_argv(ctx, create) : NULL;
	struct berth_proc_spec spec = {
		.path = ctx->runtime,
		.argv = argv,
		.inherit_stdin = true,
		.timeout_ms = ENG_RUNTIME_TIMEOUT_MS,
	};
	int status = 0;
	int r = argv ? berth_proc_run(&spec, NULL, NULL, &status) : -ENOMEM;
	eng_strv_free(argv);
	if (r < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		report(a->report_fd, "err %s create: %s\n", ctx->runtime,
		       r < 0 ? strerror(-r) : "failed (its error is above or in the log)");
		_exit(ENG_EXIT_ERROR);
	}
	_cleanup_free_ char *pidbuf = NULL;
	size_t len;
	long pid = 0;
	if (read_file_limited(pidfile, 64, &pidbuf, &len) < 0 || (pid = strtol(pidbuf, NULL, 10)) <= 0) {
		report(a->report_fd, "err no pid in %s\n", pidfile);
		_exit(ENG_EXIT_ERROR);
	}
	eng_crash_point("runtime-created");
	char *const start[] = {(char *)"start", (char *)c->id, NULL};
	if (eng_runtime(ctx, start, NULL, &e) < 0) {
		_cleanup_free_ char *t = berth_error_text(e);
		report(a->report_fd, "err %s\n", t ? t : "runtime start failed");
		_exit(ENG_EXIT_ERROR);
	}
	report(a->report_fd, "ok %ld %lld\n", pid, proc_starttime((pid_t)pid, NULL));
	close(a->report_fd);

	if (a->attach) {
		forward_pid = (pid_t)pid;
		struct sigaction sa = {.sa_handler = forward_signal};
		sigemptyset(&sa.sa_mask);
		(void)sigaction(SIGINT, &sa, NULL);
		(void)sigaction(SIGTERM, &sa, NULL);
		(void)sigaction(SIGHUP, &sa, NULL);
	}
	/* reap until the container's init is gone (its orphans come to us too) */
	for (;;) {
		pid_t w = waitpid(-1, &status, 0);
		if (w == (pid_t)pid)
			break;
		if (w < 0 && errno == ECHILD) {
			status = 255 << 8;
			break;
		}
	}
	(void)write_exit_file(c, status);
	/* clean up unless stop or rm already did */
	if (eng_lock(ctx, &e) == 0) {
		struct eng_container *cur = NULL;
		if (eng_container_get(ctx, c->id, &cur, &e) == 0) {
			json_t *jp = json_object_get(cur->j, "pid");
			if (eng_container_state(cur) == ENG_STATE_RUNNING && json_is_integer(jp) &&
			    json_integer_value(jp) == pid) {
				eng_journal_begin(ctx, cur->id, "stop", NULL);
				eng_container_cleanup(ctx, cur);
				mark_exited(cur);
				save_quiet(cur);
				eng_journal_end(ctx, cur->id);
			}
			if (json_is_true(json_object_get(cur->j, "autoremove")) &&
			    eng_container_state(cur) != ENG_STATE_RUNNING)
				(void)eng_container_remove(ctx, cur, false, &e);
			eng_container_free(cur);
		}
		eng_unlock(ctx);
	}
	_exit(berth_proc_exit_code(status));
}

/* ---- start ---- */

static int setup_network(struct eng_ctx *ctx, struct eng_container *c, struct berth_error **reterr)
{
	size_t n = 0;
	_cleanup_free_ const char **nets = net_names(c, &n);
	int r;
	if (!nets)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	if (json_is_true(json_object_get(c->j, "host_network")))
		return 0;
	/* the namespace: the intent is saved first, so a crash leaves a trace to clean */
	_cleanup_free_ char *want = eng_path(ctx->run_root, "netns/%s", c->id);
	if (!want)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	json_object_set_new(c->j, "netns", json_string(want));
	if ((r = save(c, reterr)) < 0)
		return r;
	char *path = NULL;
	(void)eng_netns_delete(want); /* a leftover of a crash before the journal saw it */
	if ((r = eng_netns_create(ctx, c->id, &path, reterr)) < 0)
		return r;
	free(path);
	eng_crash_point("netns");
	/* addresses: allocated once, kept until rm, so a restart keeps them */
	json_t *ips = json_object_get(c->j, "ips");
	if (!json_is_object(ips)) {
		ips = json_object();
		json_object_set_new(c->j, "ips", ips);
	}
	for (size_t i = 0; i < n; i++) {
		if (json_object_get(ips, nets[i]))
			continue;
		json_t *att = json_object_get(json_object_get(c->j, "networks"), nets[i]);
		_cleanup_(eng_network_freep) struct eng_network *net = NULL;
		json_t *got = NULL;
		if ((r = eng_network_get(ctx, nets[i], &net, reterr)) < 0)
			return r;
		r = eng_ipam_allocate(ctx, c, net,
				      json_string_value(json_object_get(att, "interface_name")),
				      json_object_get(att, "static_ips"), &got, reterr);
		if (r < 0)
			return r;
		json_object_set_new(ips, nets[i], got);
		if ((r = save(c, reterr)) < 0)
			return r;
	}
	eng_crash_point("ipam");
	if (n == 0)
		return 0;
	json_t *up = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(up, json_string(nets[i]));
	json_object_set_new(c->j, "net_up", up);
	if ((r = save(c, reterr)) < 0)
		return r;
	r = eng_backend_call(ctx, c, want, nets, n, true, reterr);
	if (r < 0)
		return r;
	eng_crash_point("setup");
	return save(c, reterr);
}

static int mount_rootfs(struct eng_ctx *ctx, struct eng_container *c, char **ret_merged,
			struct berth_error **reterr)
{
	const char *lower = json_string_value(json_object_get(c->j, "image_rootfs"));
	_cleanup_free_ char *upper = eng_path(c->dir, "upper");
	_cleanup_free_ char *work = eng_path(c->dir, "work");
	_cleanup_free_ char *merged = eng_path(c->dir, "merged");
	_cleanup_free_ char *opts = NULL;
	int r;
	if (!lower)
		return berth_error_set(reterr, EINVAL, "container %s has no image", c->name);
	if (!upper || !work || !merged ||
	    asprintf(&opts, "lowerdir=%s,upperdir=%s,workdir=%s", lower, upper, work) < 0)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	if (mkdir_p(upper, 0755) < 0 || mkdir_p(work, 0700) < 0 || mkdir_p(merged, 0755) < 0)
		return berth_error_errno(reterr, -errno, BERTH_ERR_IO, "create %s", c->dir);
	json_object_set_new(c->j, "mounted", json_true());
	if ((r = save(c, reterr)) < 0)
		return r;
	if (mount("overlay", merged, "overlay", MS_NODEV, opts) < 0)
		return berth_error_errno(reterr, -errno, BERTH_ERR_IO,
					 "mount the overlay on %s (lowerdir %s)", merged, lower);
	eng_crash_point("mount");
	(void)ctx;
	*ret_merged = TAKE_PTR(merged);
	return 0;
}

static int write_bundle(struct eng_container *c, const struct eng_container *infra,
			const char *rootfs, char **ret_bundle, struct berth_error **reterr)
{
	const char *netns = json_string_value(json_object_get((infra ? infra : c)->j, "netns"));
	pid_t share = infra ? (pid_t)json_integer_value(json_object_get(infra->j, "pid")) : 0;
	json_auto_t *spec = eng_oci_spec(c, rootfs, netns, infra ? infra->dir : c->dir, share);
	_cleanup_free_ char *bundle = eng_path(c->dir, "bundle");
	_cleanup_free_ char *path = eng_path(c->dir, "bundle/config.json");
	_cleanup_free_ char *text = spec ? json_dumps(spec, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	if (!spec || !bundle || !path || !text)
		return berth_error_set(reterr, ENOMEM, "build the runtime spec");
	int r = mkdir_p(bundle, 0700);
	if (r >= 0)
		r = write_file_atomic(path, text, strlen(text), 0600);
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_IO, "write %s", path);
	*ret_bundle = TAKE_PTR(bundle);
	return 0;
}

/* A pod member's infra container, started if it is not running. NULL for others. */
static int pod_infra(struct eng_ctx *ctx, struct eng_container *c, struct eng_container **ret,
		     struct berth_error **reterr)
{
	const char *infra_id = json_string_value(json_object_get(c->j, "infra_id"));
	*ret = NULL;
	if (!infra_id)
		return 0;
	struct eng_container *infra = NULL;
	int r = eng_container_get(ctx, infra_id, &infra, reterr);
	if (r < 0)
		return berth_error_wrap(reterr, "the infra container of pod %s",
					json_string_value(json_object_get(c->j, "pod")));
	eng_container_refresh(ctx, infra);
	if (eng_container_state(infra) != ENG_STATE_RUNNING &&
	    (r = eng_container_start(ctx, infra, false, NULL, reterr)) < 0) {
		eng_container_free(infra);
		return berth_error_wrap(reterr, "start the pod's infra container");
	}
	*ret = infra;
	return 0;
}

/* Read the monitor's one-line report, waiting at most until deadline. */
static int read_report(int fd, char *buf, size_t size, int timeout_ms)
{
	size_t len = 0;
	int64_t deadline = berth_now_ms() + timeout_ms;
	while (len + 1 < size) {
		int64_t left = deadline - berth_now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int n = poll(&p, 1, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			continue;
		ssize_t rd = read(fd, buf + len, size - 1 - len);
		if (rd < 0 && errno == EINTR)
			continue;
		if (rd <= 0)
			break;
		len += (size_t)rd;
		if (memchr(buf, '\n', len))
			break;
	}
	buf[len] = '\0';
	return len ? 0 : -EPIPE;
}

int eng_container_start(struct eng_ctx *ctx, struct eng_container *c, bool attach,
			int *ret_exit, struct berth_error **reterr)
{
	int r;
	eng_container_refresh(ctx, c);
	if (eng_container_state(c) == ENG_STATE_RUNNING) {
		if (ret_exit)
			*ret_exit = 0;
		return 0; /* as Podman: starting a running container is fine */
	}
	r = eng_journal_begin(ctx, c->id, "start", NULL);
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_IO, "write the journal");
	_cleanup_free_ char *merged = NULL, *bundle = NULL;
	_cleanup_free_ char *exitfile = eng_path(c->dir, "exit.json");
	if (exitfile)
		(void)unlink(exitfile);
	/* a pod member uses its infra container's network; the others their own */
	struct eng_container *infra = NULL;
	if ((r = pod_infra(ctx, c, &infra, reterr)) < 0)
		goto fail;
	if (infra) {
		r = mount_rootfs(ctx, c, &merged, reterr);
		if (r >= 0)
			r = write_bundle(c, infra, merged, &bundle, reterr);
		eng_container_free(infra);
		if (r < 0)
			goto fail;
	} else if ((r = setup_network(ctx, c, reterr)) < 0 ||
		   (r = eng_write_etc_files(ctx, c, reterr)) < 0 ||
		   (r = mount_rootfs(ctx, c, &merged, reterr)) < 0 ||
		   (r = write_bundle(c, NULL, merged, &bundle, reterr)) < 0)
		goto fail;

	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		r = berth_error_errno(reterr, -errno, BERTH_ERR_IO, "pipe");
		goto fail;
	}
	json_object_set_new(c->j, "runtime_created", json_true());
	if ((r = save(c, reterr)) < 0) {
		close(pfd[0]), close(pfd[1]);
		goto fail;
	}
	fflush(NULL);
	pid_t mon = fork();
	if (mon < 0) {
		r = berth_error_errno(reterr, -errno, BERTH_ERR_IO, "fork");
		close(pfd[0]), close(pfd[1]);
		goto fail;
	}
	if (mon == 0) {
		close(pfd[0]);
		/* the lock stays with the parent until start is done */
		if (ctx->lock_fd >= 0)
			close(ctx->lock_fd);
		ctx->lock_fd = -1;
		struct monitor_args a = {ctx, c, bundle, attach, pfd[1]};
		monitor(&a);
	}
	close(pfd[1]);
	char buf[2048];
	r = read_report(pfd[0], buf, sizeof(buf), START_TIMEOUT_MS);
	close(pfd[0]);
	long pid = 0;
	long long pst = -1;
	if (r < 0 || sscanf(buf, "ok %ld %lld", &pid, &pst) < 1 || pid <= 0) {
		char *nl = strchr(buf, '\n');
		if (nl)
			*nl = '\0';
		r = berth_error_set(reterr, r == -ETIMEDOUT ? ETIMEDOUT : EIO,
				    "start container %s: %s", c->name,
				    r == -ETIMEDOUT ? "the runtime did not start it in time"
				    : r < 0	    ? "the monitor exited without a word"
						    : buf + (strncmp(buf, "err ", 4) == 0 ? 4 : 0));
		(void)kill(mon, SIGKILL);
		int st;
		(void)berth_child_wait(mon, berth_pidfd_open(mon), berth_now_ms() + 10000, &st);
		goto fail;
	}
	char now[64];
	eng_now_rfc3339(now);
	json_object_set_new(c->j, "state", json_string("running"));
	json_object_set_new(c->j, "pid", json_integer(pid));
	json_object_set_new(c->j, "pid_start", json_integer(pst));
	json_object_set_new(c->j, "started_at", json_string(now));
	json_object_del(c->j, "exit_code");
	if ((r = save(c, reterr)) < 0)
		goto fail;
	eng_crash_point("started");
	eng_journal_end(ctx, c->id);
	if (!attach) {
		if (ret_exit)
			*ret_exit = 0;
		return 0;
	}
	/* in the foreground: the monitor forwards signals; we wait for it, unlocked */
	eng_unlock(ctx);
	(void)signal(SIGINT, SIG_IGN);
	(void)signal(SIGTERM, SIG_IGN);
	int st = 0;
	while (waitpid(mon, &st, 0) < 0 && errno == EINTR)
		;
	if (ret_exit)
		*ret_exit = berth_proc_exit_code(st);
	return 0;

fail:
	eng_container_cleanup(ctx, c);
	json_object_set_new(c->j, "state",
			    json_string(json_object_get(c->j, "started_at") ? "exited" : "created"));
	save_quiet(c);
	eng_journal_end(ctx, c->id);
	return r;
}

/* ---- stop, remove ---- */

int eng_container_stop(struct eng_ctx *ctx, struct eng_container *c, int timeout_s,
		       struct berth_error **reterr)
{
	eng_container_refresh(ctx, c);
	if (eng_container_state(c) != ENG_STATE_RUNNING)
		return 0;
	int r = eng_journal_begin(ctx, c->id, "stop", NULL);
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_IO, "write the journal");
	pid_t pid = (pid_t)json_integer_value(json_object_get(c->j, "pid"));
	if (ctr_process_alive(c)) {
		int pfd = berth_pidfd_open(pid);
		(void)kill(pid, SIGTERM);
		struct pollfd p = {.fd = pfd, .events = POLLIN};
		if (pfd < 0 || poll(&p, 1, timeout_s * 1000) <= 0) {
			(void)kill(pid, SIGKILL);
			if (pfd >= 0)
				(void)poll(&p, 1, 10000);
		}
		if (pfd >= 0)
			close(pfd);
	}
	eng_crash_point("stop-killed");
	/* the monitor writes the exit code as soon as it reaps: give it a moment */
	_cleanup_free_ char *exitfile = eng_path(c->dir, "exit.json");
	for (int i = 0; exitfile && i < 200 && access(exitfile, F_OK) < 0; i++) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	eng_container_cleanup(ctx, c);
	mark_exited(c);
	r = save(c, reterr);
	eng_journal_end(ctx, c->id);
	return r;
}

int eng_container_remove(struct eng_ctx *ctx, struct eng_container *c, bool force,
			 struct berth_error **reterr)
{
	eng_container_refresh(ctx, c);
	if (eng_container_state(c) == ENG_STATE_RUNNING) {
		if (!force)
			return berth_error_set(reterr, EBUSY,
					       "cannot remove container %s as it is running - "
					       "running or paused containers cannot be removed "
					       "without force: container state improper",
					       c->id);
		int r = eng_container_stop(ctx, c, 0, reterr);
		if (r < 0)
			return r;
	}
	int r = eng_journal_begin(ctx, c->id, "rm", NULL);
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_IO, "write the journal");
	eng_container_cleanup(ctx, c);
	eng_crash_point("rm-cleaned");
	json_t *nets = json_object_get(c->j, "networks"), *att;
	const char *net;
	json_object_foreach(nets, net, att)
		eng_ipam_release(ctx, c->id, net,
				 json_string_value(json_object_get(att, "interface_name")));
	r = eng_rm_rf_at(AT_FDCWD, c->dir);
	eng_journal_end(ctx, c->id);
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_IO, "remove %s", c->dir);
	return 0;
}

/* ---- connect, disconnect ---- */

int eng_container_connect(struct eng_ctx *ctx, struct eng_container *c, const char *net,
			  json_t *opts, struct berth_error **reterr)
{
	_cleanup_(eng_network_freep) struct eng_network *n = NULL;
	int r = eng_network_get(ctx, net, &n, reterr);
	if (r < 0)
		return r;
	json_t *nets = json_object_get(c->j, "networks");
	if (json_object_get(c->j, "infra_id"))
		return berth_error_set(reterr, EINVAL,
				       "container %s shares the network of its pod: connect the "
				       "pod's infra container instead",
				       c->name);
	if (json_object_get(nets, n->name))
		return berth_error_set(reterr, EEXIST,
				       "container %s is already connected to network %s",
				       c->name, n->name);
	if (json_object_size(nets) >= ENG_MAX_CTR_NETWORKS)
		return berth_error_set(reterr, E2BIG, "at most %d networks per container",
				       ENG_MAX_CTR_NETWORKS);
	/* the next free ethN */
	char ifname[16];
	for (unsigned i = 0; i < 1000; i++) {
		snprintf(ifname, sizeof(ifname), "eth%u", i);
		bool taken = false;
		const char *k;
		json_t *a;
		json_object_foreach(nets, k, a) {
			const char *in = json_string_value(json_object_get(a, "interface_name"));
			taken |= in && strcmp(in, ifname) == 0;
		}
		if (!taken)
			break;
	}
	json_t *att = opts ? json_deep_copy(opts) : json_object();
	json_object_set_new(att, "interface_name", json_string(ifname));
	eng_container_refresh(ctx, c);
	r = eng_journal_begin(ctx, c->id, "connect", n->name);
	if (r < 0) {
		json_decref(att);
		return berth_error_errno(reterr, r, BERTH_ERR_IO, "write the journal");
	}
	json_object_set_new(nets, n->name, att);
	if ((r = save(c, reterr)) < 0)
		goto out;
	if (eng_container_state(c) != ENG_STATE_RUNNING)
		goto out; /* set up at the next start */
	const char *netns = json_string_value(json_object_get(c->j, "netns"));
	json_t *ips = NULL;
	if (!netns) {
		r = berth_error_set(reterr, EINVAL, "container %s has no network namespace",
				    c->name);
		goto undo;
	}
	r = eng_ipam_allocate(ctx, c, n, ifname, json_object_get(att, "static_ips"), &ips, reterr);
	if (r < 0)
		goto undo;
	json_object_set_new(json_object_get(c->j, "ips"), n->name, ips);
	json_array_append_new(json_object_get(c->j, "net_up"), json_string(n->name));
	if (!json_object_get(c->j, "net_up"))
		json_object_set_new(c->j, "net_up", json_pack("[s]", n->name));
	if ((r = save(c, reterr)) < 0)
		goto undo;
	const char *one[] = {n->name};
	r = eng_backend_call(ctx, c, netns, one, 1, true, reterr);
	if (r < 0)
		goto undo;
	eng_crash_point("connect-setup");
	r = eng_write_etc_files(ctx, c, reterr);
	if (r >= 0)
		r = save(c, reterr);
	goto out;
undo:
	/* nothing of the new network stays */
	{
		json_t *up = json_object_get(c->j, "net_up");
		size_t i;
		json_t *v;
		json_array_foreach(up, i, v)
			if (json_is_string(v) && strcmp(json_string_value(v), n->name) == 0) {
				json_array_remove(up, i);
				break;
			}
		eng_ipam_release(ctx, c->id, n->name, ifname);
		json_object_del(json_object_get(c->j, "ips"), n->name);
		json_object_del(nets, n->name);
		save_quiet(c);
	}
out:
	eng_journal_end(ctx, c->id);
	return r < 0 ? r : 0;
}

int eng_container_disconnect(struct eng_ctx *ctx, struct eng_container *c, const char *net,
			     struct berth_error **reterr)
{
	_cleanup_(eng_network_freep) struct eng_network *n = NULL;
	int r = eng_network_get(ctx, net, &n, reterr);
	if (r < 0)
		return r;
	json_t *nets = json_object_get(c->j, "networks");
	json_t *att = json_object_get(nets, n->name);
	if (!att)
		return berth_error_set(reterr, ENOENT,
				       "container %s is not connected to network %s", c->name,
				       n->name);
	eng_container_refresh(ctx, c);
	r = eng_journal_begin(ctx, c->id, "disconnect", n->name);
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_IO, "write the journal");
	json_t *up = json_object_get(c->j, "net_up");
	size_t i;
	json_t *v;
	const char *netns = json_string_value(json_object_get(c->j, "netns"));
	json_array_foreach(up, i, v) {
		if (!json_is_string(v) || strcmp(json_string_value(v), n->name) != 0)
			continue;
		const char *one[] = {n->name};
		if (netns && eng_backend_call(ctx, c, netns, one, 1, false, reterr) < 0) {
			/* as Podman: a failed teardown still disconnects */
			_cleanup_free_ char *t = berth_error_text(*reterr);
			log_warn("teardown of network %s: %s", n->name, t ? t : "failed");
			berth_error_freep(reterr);
		}
		json_array_remove(up, i);
		break;
	}
	eng_crash_point("disconnect-teardown");
	eng_ipam_release(ctx, c->id, n->name, json_string_value(json_object_get(att, "interface_name")));
	json_object_del(json_object_get(c->j, "ips"), n->name);
	json_object_del(nets, n->name);
	r = save(c, reterr);
	if (r >= 0 && eng_container_state(c) == ENG_STATE_RUNNING)
		r = eng_write_etc_files(ctx, c, reterr);
	eng_journal_end(ctx, c->id);
	return r < 0 ? r : 0;
}

int eng_container_reload(struct eng_ctx *ctx, struct eng_container *c, struct berth_error **reterr)
{
	/* berth-net keeps the firewall state itself: one firewall-reload restores every rule */
	(void)c;
	_cleanup_free_ char *cfg = eng_path(ctx->run_root, "networks");
	if (!cfg)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	char *const argv[] = {ctx->netavark, (char *)"--config", cfg, (char *)"firewall-reload", NULL};
	struct berth_proc_spec spec = {
		.path = ctx->netavark,
		.argv = argv,
		.max_output = 1 << 16,
		.timeout_ms = ENG_BACKEND_TIMEOUT_MS,
	};
	_cleanup_free_ char *out = NULL;
	int status = 0;
	int r = berth_proc_run(&spec, &out, NULL, &status);
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_IO, "run %s firewall-reload",
					 ctx->netavark);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return berth_error_set(reterr, EIO, "netavark firewall-reload (exit code %d): %s",
				       berth_proc_exit_code(status), out ? out : "");
	return 0;
}

/* ---- recovery ---- */

/* Take network `net` off c entirely: teardown if it is up, leases, record. */
static void drop_network(struct eng_ctx *ctx, struct eng_container *c, const char *net)
{
	_cleanup_berth_error_ struct berth_error *e = NULL;
	json_t *up = json_object_get(c->j, "net_up"), *v;
	const char *netns = json_string_value(json_object_get(c->j, "netns"));
	size_t i;
	json_array_foreach(up, i, v) {
		if (!json_is_string(v) || strcmp(json_string_value(v), net) != 0)
			continue;
		const char *one[] = {net};
		if (netns && eng_backend_call(ctx, c, netns, one, 1, false, &e) < 0)
			warn_err(&e, "network teardown");
		json_array_remove(up, i);
		break;
	}
	json_t *att = json_object_get(json_object_get(c->j, "networks"), net);
	eng_ipam_release(ctx, c->id, net, json_string_value(json_object_get(att, "interface_name")));
	json_object_del(json_object_get(c->j, "ips"), net);
	json_object_del(json_object_get(c->j, "networks"), net);
	save_quiet(c);
}

void eng_journal_recover(struct eng_ctx *ctx)
{
	_cleanup_free_ char *dir = eng_path(ctx->root, "journal");
	DIR *d = dir ? opendir(dir) : NULL;
	if (!d)
		return;
	for (struct dirent *de; (de = readdir(d));) {
		if (de->d_name[0] == '.')
			continue;
		_cleanup_free_ char *path = eng_path(dir, "%s", de->d_name);
		_cleanup_free_ char *buf = NULL;
		size_t len;
		if (!path || read_file_limited(path, 4096, &buf, &len) < 0)
			continue;
		json_auto_t *j = json_loadb(buf, len, 0, NULL);
		const char *op = json_string_value(json_object_get(j, "op"));
		const char *arg = json_string_value(json_object_get(j, "arg"));
		struct eng_container *c = NULL;
		_cleanup_berth_error_ struct berth_error *e = NULL;
		if (!op || eng_container_get(ctx, de->d_name, &c, &e) < 0) {
			_cleanup_free_ char *cdir = eng_path(ctx->root, "containers/%s", de->d_name);
			if (op && strcmp(op, "create") == 0 && cdir)
				(void)eng_rm_rf_at(AT_FDCWD, cdir); /* a half-written container */
			(void)unlink(path);
			continue;
		}
		log_warn("container %s: finishing the %s that a killed berth command left half done",
			 c->name, op);
		if (strcmp(op, "start") == 0) {
			/* roll back: as if it had never started */
			eng_container_cleanup(ctx, c);
			json_object_set_new(c->j, "state",
					    json_string(json_object_get(c->j, "started_at") ? "exited"
											   : "created"));
			json_object_del(c->j, "pid");
			json_object_del(c->j, "pid_start");
			save_quiet(c);
		} else if (strcmp(op, "stop") == 0) {
			eng_container_cleanup(ctx, c);
			mark_exited(c);
			save_quiet(c);
		} else if (strcmp(op, "rm") == 0 || strcmp(op, "create") == 0) {
			(void)eng_container_remove(ctx, c, true, &e);
		} else if ((strcmp(op, "connect") == 0 || strcmp(op, "disconnect") == 0) && arg) {
			/* connect rolls back, disconnect rolls forward: both end without the network */
			drop_network(ctx, c, arg);
			if (eng_container_state(c) == ENG_STATE_RUNNING)
				(void)eng_write_etc_files(ctx, c, &e);
		}
		eng_container_free(c);
		(void)unlink(path);
	}
	closedir(d);
}
