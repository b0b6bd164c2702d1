// SPDX-License-Identifier: Apache-2.0
/*
 * cni-floor: the process floor of a CNI chain, a plugin that does nothing.
 * bench/cni.sh links it under every plugin name of the chain and runs that
 * chain with the same runner as berth's and the reference plugins, so the
 * figure is what the exec protocol itself costs on this machine: one fork and
 * exec per plugin (and, as "bridge", one more for its IPAM plugin, as the real
 * bridge plugins delegate to host-local), stdin read, a result written.
 *
 * ADD prints {"cniVersion":"1.0.0"}; DEL, CHECK and GC print nothing; VERSION
 * the supported versions. As "bridge" it first runs $CNI_PATH's first
 * directory's host-local with the same stdin and waits for it (bounded:
 * killed after 10 s). Exit 0, or 1 with a message on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_STDIN (1 << 20)
#define DELEGATE_TIMEOUT_MS 10000

static char in[MAX_STDIN];

static int fail(const char *what)
{
	fprintf(stderr, "cni-floor: %s: %s\n", what, strerror(errno));
	return 1;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* run PATH with LEN bytes of stdin, its stdout discarded; 0 when it exited 0 */
static int delegate(const char *path, size_t len)
{
	int fds[2];
	pid_t pid;
	int status;
	long deadline;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return fail("pipe");
	pid = fork();
	if (pid < 0)
		return fail("fork");
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

		if (dup2(fds[0], 0) < 0 || null < 0 || dup2(null, 1) < 0)
			_exit(127);
		execl(path, path, (char *)NULL);
		_exit(127);
	}
	close(fds[0]);
	/* a pipe holds 64 KiB: a longer config would need a poll loop; the
	 * benchmark's is a few hundred bytes */
	if (len > 65536 || write(fds[1], in, len) != (ssize_t)len) {
		close(fds[1]);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return fail("write to the IPAM plugin");
	}
	close(fds[1]);
	deadline = now_ms() + DELEGATE_TIMEOUT_MS;
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return fail("waitpid");
		if (now_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			errno = ETIMEDOUT;
			return fail("IPAM plugin");
		}
		poll(NULL, 0, 1);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		errno = EIO;
		return fail("IPAM plugin failed");
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = getenv("CNI_COMMAND");
	const char *name = strrchr(argv[0], '/');
	size_t len = 0;

	(void)argc;
	name = name ? name + 1 : argv[0];
	if (!cmd)
		cmd = "";
	if (!strcmp(cmd, "VERSION")) {
		puts("{\"cniVersion\":\"1.0.0\",\"supportedVersions\":[\"1.0.0\",\"1.1.0\"]}");
		return 0;
	}
	for (;;) {
		ssize_t n = read(0, in + len, sizeof(in) - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail("stdin");
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == sizeof(in)) {
			errno = EFBIG;
			return fail("stdin");
		}
	}
	if (!strcmp(name, "bridge") && (!strcmp(cmd, "ADD") || !strcmp(cmd, "DEL"))) {
		const char *cni_path = getenv("CNI_PATH");
		char path[4096];
		size_t dir;

		if (!cni_path || !*cni_path) {
			errno = EINVAL;
			return fail("CNI_PATH");
		}
		dir = strcspn(cni_path, ":");
		if (snprintf(path, sizeof(path), "%.*s/host-local", (int)dir, cni_path) >=
		    (int)sizeof(path)) {
			errno = ENAMETOOLONG;
			return fail("CNI_PATH");
		}
		if (delegate(path, len))
			return 1;
	}
	if (!strcmp(cmd, "ADD"))
		puts("{\"cniVersion\":\"1.0.0\"}");
	return 0;
}
