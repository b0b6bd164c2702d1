// SPDX-License-Identifier: Apache-2.0
/*
 * berth: the engine's command line (docs/engine.md, berth(1)).
 *
 *   berth [--root DIR] [--runroot DIR] [--network-config-dir DIR]
 *         [--runtime PATH] [--network-backend PATH] [--cni-plugin-dir DIR]
 *         [--log-level LEVEL] COMMAND ...
 *
 * Global options come before the command. Each option has an environment
 * variable (BERTH_ROOT, BERTH_RUNROOT, BERTH_NETWORK_DIR, BERTH_RUNTIME,
 * BERTH_NETWORK_BACKEND, BERTH_CNI_PATH, BERTH_LOG) so that a test world
 * can be set once for every command.
 */
#include "engine.h"

#include "basic/cleanup.h"
#include "basic/log.h"
#include "basic/rundir.h"
#include "berth-config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef BERTH_BINDIR
#define BERTH_BINDIR "/usr/local/bin"
#endif
#ifndef BERTH_CNI_DIR
#define BERTH_CNI_DIR "/usr/local/lib/berth/cni"
#endif

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: berth [GLOBAL OPTIONS] COMMAND [ARGS]\n"
		"\n"
		"Networks:\n"
		"  network create|ls|inspect|rm|prune|connect|disconnect|reload|graph\n"
		"Containers:\n"
		"  run, create, start, stop, restart, rm, ps, inspect, exec, logs\n"
		"Pods:\n"
		"  pod create|ls|inspect|start|stop|rm\n"
		"Images:\n"
		"  image import|ls|inspect|rm, pull\n"
		"Other:\n"
		"  version\n"
		"\n"
		"Global options:\n"
		"  --root DIR                 state (default %s; $BERTH_ROOT)\n"
		"  --runroot DIR              runtime state (default <run dir>/engine; $BERTH_RUNROOT)\n"
		"  --network-config-dir DIR   network files (default %s; $BERTH_NETWORK_DIR)\n"
		"  --runtime PATH             OCI runtime (default crun; $BERTH_RUNTIME)\n"
		"  --network-backend PATH     netavark-protocol backend (default berth-net;\n"
		"                             $BERTH_NETWORK_BACKEND)\n"
		"  --cni-plugin-dir DIRS      CNI plugin path (default %s; $BERTH_CNI_PATH)\n"
		"  --log-level LEVEL          error, warn, info, debug, trace ($BERTH_LOG)\n",
		ENG_ROOT_DEFAULT, ENG_NET_DIR_DEFAULT, BERTH_CNI_DIR);
}

static char *absolute(const char *p)
{
	if (p[0] == '/')
		return strdup(p);
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof(cwd)))
		return NULL;
	char *s = NULL;
	return asprintf(&s, "%s/%s", cwd, p) < 0 ? NULL : s;
}

/* berth-net next to this binary (a build tree or an install), else the installed one. */
static char *default_sibling(const char *name, const char *build_subdir, const char *fallback)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			char *c = NULL;
			if (asprintf(&c, "%s/%s", self, name) >= 0 && access(c, X_OK) == 0)
				return c;
			free(c);
			c = NULL;
			/* the build tree: <build>/engine/berth beside <build>/<subdir>/<name> */
			if (build_subdir &&
			    asprintf(&c, "%s/../%s/%s", self, build_subdir, name) >= 0 &&
			    access(c, X_OK) == 0)
				return c;
			free(c);
		}
	}
	return strdup(fallback);
}

static const char *envor(const char *name, const char *def)
{
	const char *v = getenv(name);
	return v && *v ? v : def;
}

static void ctx_done(struct eng_ctx *ctx)
{
	eng_unlock(ctx);
	free(ctx->root);
	free(ctx->net_dir);
	free(ctx->run_root);
	free(ctx->runtime);
	free(ctx->netavark);
	free(ctx->cni_path);
	free(ctx->dns_bin);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"root", required_argument, NULL, 'R'},
		{"runroot", required_argument, NULL, 'r'},
		{"network-config-dir", required_argument, NULL, 'N'},
		{"runtime", required_argument, NULL, 'O'},
		{"network-backend", required_argument, NULL, 'B'},
		{"cni-plugin-dir", required_argument, NULL, 'C'},
		{"log-level", required_argument, NULL, 'l'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'v'},
		{},
	};
	const char *o_root = envor("BERTH_ROOT", ENG_ROOT_DEFAULT);
	const char *o_runroot = envor("BERTH_RUNROOT", NULL);
	const char *o_netdir = envor("BERTH_NETWORK_DIR", ENG_NET_DIR_DEFAULT);
	const char *o_runtime = envor("BERTH_RUNTIME", NULL);
	const char *o_backend = envor("BERTH_NETWORK_BACKEND", NULL);
	const char *o_cni = envor("BERTH_CNI_PATH", NULL);
	const char *o_log = envor("BERTH_LOG", "warn");
	int c;

	log_set_target("berth");
	/* "+": stop at the command, whose own options follow it */
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) >= 0) {
		switch (c) {
		case 'R': o_root = optarg; break;
		case 'r': o_runroot = optarg; break;
		case 'N': o_netdir = optarg; break;
		case 'O': o_runtime = optarg; break;
		case 'B': o_backend = optarg; break;
		case 'C': o_cni = optarg; break;
		case 'l': o_log = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'v': printf("berth version %s\n", BERTH_VERSION); return 0;
		default: usage(stderr); return ENG_EXIT_ERROR;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return ENG_EXIT_ERROR;
	}
	static const char *const targets[] = {"berth", NULL};
	int lvl = log_level_parse(o_log, targets);
	if (lvl < 0) {
		fprintf(stderr, "Error: --log-level: '%s' is not a level\n", o_log);
		return ENG_EXIT_ERROR;
	}
	log_set_level((enum log_level)lvl);
	/* a reader that went away (berth ps | head) is not an error */
	(void)signal(SIGPIPE, SIG_IGN);

	struct eng_ctx ctx = {.lock_fd = -1, .argv = argv};
	char run[PATH_MAX];
	int r = 0;
	ctx.root = absolute(o_root);
	ctx.net_dir = absolute(o_netdir);
	if (o_runroot)
		ctx.run_root = absolute(o_runroot);
	else if ((r = berth_run_path("engine", run, sizeof(run))) == 0)
		ctx.run_root = strdup(run);
	ctx.runtime = o_runtime ? strdup(o_runtime) : strdup("crun");
	ctx.netavark = o_backend ? absolute(o_backend)
				 : default_sibling("berth-net", "netbackend", BERTH_BINDIR "/berth-net");
	ctx.cni_path = o_cni ? strdup(o_cni) : default_sibling("", NULL, BERTH_CNI_DIR);
	if (!o_cni && ctx.cni_path) {
		/* the build tree's plugins when run from it, the installed ones otherwise */
		free(ctx.cni_path);
		ctx.cni_path = default_sibling("bridge", "cni-plugins", BERTH_CNI_DIR "/bridge");
		if (ctx.cni_path) {
			char *slash = strrchr(ctx.cni_path, '/');
			if (slash)
				*slash = '\0';
		}
	}
	ctx.dns_bin = default_sibling("berth-dns", "dns", BERTH_BINDIR "/berth-dns");
	if (r < 0 || !ctx.root || !ctx.net_dir || !ctx.run_root || !ctx.runtime || !ctx.netavark ||
	    !ctx.cni_path || !ctx.dns_bin) {
		fprintf(stderr, "Error: cannot set up the engine's paths: %s\n",
			strerror(r < 0 ? -r : ENOMEM));
		ctx_done(&ctx);
		return ENG_EXIT_ERROR;
	}

	const char *cmd = argv[optind];
	int cargc = argc - optind;
	char **cargv = argv + optind;
	int ret;
	if (strcmp(cmd, "network") == 0)
		ret = cmd_network(&ctx, cargc, cargv);
	else if (strcmp(cmd, "image") == 0)
		ret = cmd_image(&ctx, cargc, cargv);
	else if (strcmp(cmd, "pull") == 0)
		ret = cmd_pull(&ctx, cargc, cargv);
	else if (strcmp(cmd, "pod") == 0)
		ret = cmd_pod(&ctx, cargc, cargv);
	else if (strcmp(cmd, "version") == 0) {
		printf("berth version %s\n", BERTH_VERSION);
		ret = 0;
	} else
		ret = cmd_container(&ctx, cargc, cargv);
	ctx_done(&ctx);
	return ret;
}
