// SPDX-License-Identifier: Apache-2.0
/* See oci.h. */
#include "oci.h"

#include "basic/cleanup.h"
#include "basic/log.h"
#include "basic/proc.h"

#include <errno.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <sys/wait.h>

/*
 * Podman's default capabilities (containers.conf default_capabilities)
 * plus CAP_NET_RAW, which Docker keeps: busybox's ping (the tools of small
 * images) needs a raw socket. Every other capability is dropped.
 */
static const char *const default_caps[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
	"CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP",
	"CAP_SETUID", "CAP_SYS_CHROOT", NULL,
};

/*
 * System calls a container has no business making with the capabilities
 * above (the ones Docker's and Podman's profiles refuse to such a
 * container): kernel modules and kexec, reboot, swap, clock setting,
 * mounts and namespaces, tracing other processes, the kernel keyring, bpf
 * and perf. They fail with EPERM; everything else is allowed.
 */
static const char *const seccomp_denied[] = {
	"acct", "add_key", "bpf", "clock_adjtime", "clock_settime", "create_module",
	"delete_module", "finit_module", "get_kernel_syms", "init_module", "ioperm", "iopl",
	"kcmp", "kexec_file_load", "kexec_load", "keyctl", "lookup_dcookie", "mount",
	"move_mount", "fsopen", "fsmount", "fspick", "open_tree", "name_to_handle_at",
	"nfsservctl", "open_by_handle_at", "perf_event_open", "pivot_root", "process_vm_readv",
	"process_vm_writev", "ptrace", "query_module", "quotactl", "reboot", "request_key",
	"setns", "settimeofday", "swapon", "swapoff", "sysfs", "_sysctl", "umount2",
	"unshare", "uselib", "userfaultfd", "ustat", "vm86", "vm86old", NULL,
};

static json_t *strv_json(const char *const *v)
{
	json_t *a = json_array();
	for (size_t i = 0; a && v[i]; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

json_t *eng_oci_seccomp_default(void)
{
	return json_pack("{s:s, s:[s,s,s], s:[{s:o, s:s, s:i}]}", "defaultAction", "SCMP_ACT_ALLOW",
			 "architectures", "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32",
			 "syscalls", "names", strv_json(seccomp_denied), "action",
			 "SCMP_ACT_ERRNO", "errnoRet", 1);
}

static json_t *mount_j(const char *dst, const char *type, const char *src, const char *const *opts)
{
	return json_pack("{s:s, s:s, s:s, s:o}", "destination", dst, "type", type, "source", src,
			 "options", strv_json(opts));
}

json_t *eng_oci_spec(const struct eng_container *c, const char *rootfs, const char *netns,
		     const char *etc_dir, pid_t share_pid)
{
	json_t *cfg = json_object_get(c->j, "image_config");
	json_t *cmd = json_object_get(c->j, "command");
	const char *hostname = json_string_value(json_object_get(c->j, "hostname"));
	const char *workdir = json_string_value(json_object_get(c->j, "workdir"));
	if (!workdir)
		workdir = json_string_value(json_object_get(cfg, "WorkingDir"));
	if (!workdir || !*workdir)
		workdir = "/";

	json_t *env = json_array(), *e;
	size_t i;
	bool have_path = false;
	json_array_foreach(json_object_get(cfg, "Env"), i, e) {
		json_array_append(env, e);
		have_path |= json_is_string(e) && strncmp(json_string_value(e), "PATH=", 5) == 0;
	}
	if (!have_path)
		json_array_append_new(env, json_string("PATH=/usr/local/sbin:/usr/local/bin:"
							"/usr/sbin:/usr/bin:/sbin:/bin"));
	json_array_append_new(env, json_string("container=berth"));
	char hn[300];
	snprintf(hn, sizeof(hn), "HOSTNAME=%s", hostname ? hostname : "");
	json_array_append_new(env, json_string(hn));
	json_array_foreach(json_object_get(c->j, "env"), i, e)
		json_array_append(env, e);

	json_t *ns = json_pack("[{s:s}, {s:s}]", "type", "pid", "type", "mount");
	static const char *const shared[] = {"ipc", "uts", NULL};
	for (size_t k = 0; shared[k]; k++) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)share_pid, shared[k]);
		json_array_append_new(ns, share_pid > 0 ? json_pack("{s:s, s:s}", "type", shared[k],
								    "path", path)
							: json_pack("{s:s}", "type", shared[k]));
	}
	if (netns)
		json_array_append_new(ns, json_pack("{s:s, s:s}", "type", "network", "path", netns));

	static const char *const o_proc[] = {"nosuid", "noexec", "nodev", NULL};
	static const char *const o_dev[] = {"nosuid", "strictatime", "mode=755", "size=65536k", NULL};
	static const char *const o_pts[] = {"nosuid", "noexec", "newinstance", "ptmxmode=0666",
					    "mode=0620", "gid=5", NULL};
	static const char *const o_shm[] = {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k",
					    NULL};
	static const char *const o_mq[] = {"nosuid", "noexec", "nodev", NULL};
	static const char *const o_sys[] = {"nosuid", "noexec", "nodev", "ro", NULL};
	static const char *const o_bind[] = {"rbind", "rprivate", "nosuid", "nodev", "noexec", NULL};
	json_t *mounts = json_array();
	json_array_append_new(mounts, mount_j("/proc", "proc", "proc", o_proc));
	json_array_append_new(mounts, mount_j("/dev", "tmpfs", "tmpfs", o_dev));
	json_array_append_new(mounts, mount_j("/dev/pts", "devpts", "devpts", o_pts));
	json_array_append_new(mounts, mount_j("/dev/shm", "tmpfs", "shm", o_shm));
	json_array_append_new(mounts, mount_j("/dev/mqueue", "mqueue", "mqueue", o_mq));
	if (netns)
		json_array_append_new(mounts, mount_j("/sys", "sysfs", "sysfs", o_sys));
	static const char *const etc[] = {"hosts", "resolv.conf", "hostname", NULL};
	for (size_t k = 0; etc[k]; k++) {
		char src[4096], dst[64];
		snprintf(src, sizeof(src), "%s/userdata/%s", etc_dir, etc[k]);
		snprintf(dst, sizeof(dst), "/etc/%s", etc[k]);
		json_array_append_new(mounts, mount_j(dst, "bind", src, o_bind));
	}

	static const char *const masked[] = {"/proc/acpi", "/proc/kcore", "/proc/keys",
					     "/proc/latency_stats", "/proc/timer_list",
					     "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
					     "/sys/firmware", "/sys/fs/selinux", "/sys/dev/block",
					     NULL};
	static const char *const ro[] = {"/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq",
					 "/proc/sys", "/proc/sysrq-trigger", NULL};
	json_t *caps = strv_json(default_caps);
	/* Podman's 1048576 open files, within what this process may grant */
	struct rlimit rl = {0};
	json_int_t nofile = 1048576;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max != RLIM_INFINITY &&
	    (json_int_t)rl.rlim_max < nofile)
		nofile = (json_int_t)rl.rlim_max;
	json_t *spec = json_pack(
	    "{s:s, s:{s:b, s:{s:i, s:i}, s:o, s:o, s:s, s:{s:O, s:O, s:O}, s:[{s:s, s:I, s:I}],"
	    " s:b}, s:{s:s, s:b}, s:s, s:o, s:{s:o, s:o, s:o, s:o, s:{s:s}}}",
	    "ociVersion", "1.0.2",
	    "process", "terminal", 0, "user", "uid", 0, "gid", 0, "args", json_incref(cmd), "env",
	    env, "cwd", workdir, "capabilities", "bounding", caps, "effective", caps, "permitted",
	    caps, "rlimits", "type", "RLIMIT_NOFILE", "hard", nofile, "soft", nofile,
	    "noNewPrivileges", 0,
	    "root", "path", rootfs, "readonly", 0,
	    "hostname", hostname ? hostname : "",
	    "mounts", mounts,
	    "linux", "namespaces", ns, "maskedPaths", strv_json(masked), "readonlyPaths",
	    strv_json(ro), "seccomp", eng_oci_seccomp_default(), "sysctl",
	    "net.ipv4.ping_group_range", "0 0");
	json_decref(caps);
	if (share_pid > 0 && spec)
		json_object_del(spec, "hostname");
	if (!netns && spec)
		json_object_del(json_object_get(spec, "linux"), "sysctl");
	return spec;
}

/* cgroupfs on a pure cgroup v2 host; on a v1 or hybrid one (this CI's) none. */
static const char *cgroup_manager(void)
{
	struct statfs sfs;
	if (statfs("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC)
		return "--cgroup-manager=cgroupfs";
	return "--cgroup-manager=disabled";
}

void eng_strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

char **eng_runtime_argv(struct eng_ctx *ctx, char *const *args)
{
	size_t n = 0;
	while (args[n])
		n++;
	char **v = calloc(n + 5, sizeof(*v));
	if (!v)
		return NULL;
	v[0] = strdup(ctx->runtime);
	v[1] = strdup(cgroup_manager());
	v[2] = strdup("--root");
	v[3] = eng_path(ctx->run_root, "runtime");
	for (size_t i = 0; i < n; i++)
		if (!(v[4 + i] = strdup(args[i]))) {
			eng_strv_free(v);
			return NULL;
		}
	if (!v[0] || !v[1] || !v[2] || !v[3]) {
		eng_strv_free(v);
		return NULL;
	}
	return v;
}

int eng_runtime(struct eng_ctx *ctx, char *const *args, char **ret_out,
		struct berth_error **reterr)
{
	char **argv = eng_runtime_argv(ctx, args);
	if (!argv)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	struct berth_proc_spec spec = {
		.path = ctx->runtime,
		.argv = argv,
		.max_output = ret_out ? (1u << 20) : 0,
		.timeout_ms = ENG_RUNTIME_TIMEOUT_MS,
	};
	int status = 0;
	_cleanup_free_ char *out = NULL;
	int r = berth_proc_run(&spec, ret_out ? &out : NULL, NULL, &status);
	if (r < 0) {
		eng_strv_free(argv);
		if (r == -ENOENT)
			return berth_error_set(reterr, ENOENT, "OCI runtime %s not found",
					       ctx->runtime);
		return berth_error_errno(reterr, r, BERTH_ERR_IO, "%s %s", ctx->runtime, args[0]);
	}
	eng_strv_free(argv);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return berth_error_set(reterr, EIO, "%s %s: exit code %d", ctx->runtime, args[0],
				       berth_proc_exit_code(status));
	if (ret_out)
		*ret_out = TAKE_PTR(out);
	return 0;
}
