// SPDX-License-Identifier: Apache-2.0
/*
 * berth-net: the netavark command line.
 *
 *   netavark [-f FILE] [-c DIR] [-r BOOL] [-a PATH] [--firewall-driver D]
 *            [--plugin-directory DIR]... setup|teardown NETNS | update NET
 *            --network-dns-servers LIST | version
 *
 * Protocol (docs/netavark-compat.md): stdout carries exactly one result line
 * (setup), a pretty JSON object (version) or {"error": "..."} with exit 1.
 * Usage errors print usage on stderr and exit 2, like clap. Logs go to stderr.
 * Global options are accepted before and after the subcommand.
 */
#include "commands.h"
#include "options.h"
#include "status.h"

#include "basic/cleanup.h"
#include "basic/error.h"
#include "basic/fileio.h"
#include "basic/log.h"
#include "berth-config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define EXIT_USAGE 2
#define DEFAULT_AARDVARK "/usr/libexec/podman/aardvark-dns"

static const char *arg_file;
static const char *arg_config;
static bool arg_rootless;
static const char *arg_aardvark = DEFAULT_AARDVARK;
static const char *arg_firewall_driver;
static const char *arg_dns_servers;
static char *arg_dns_joined; /* arg_dns_servers when the flag was repeated */

static const char *target_triple(void)
{
#if defined(__x86_64__)
	return "x86_64-unknown-linux-gnu";
#elif defined(__aarch64__)
	return "aarch64-unknown-linux-gnu";
#elif defined(__i386__)
	return "i686-unknown-linux-gnu";
#elif defined(__arm__)
	return "armv7-unknown-linux-gnueabihf";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return "powerpc64le-unknown-linux-gnu";
#elif defined(__s390x__)
	return "s390x-unknown-linux-gnu";
#elif defined(__riscv) && __riscv_xlen == 64
	return "riscv64gc-unknown-linux-gnu";
#else
	return "unknown-unknown-linux-gnu";
#endif
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: netavark [OPTIONS] <COMMAND>\n"
		"\n"
		"Commands:\n"
		"  setup     Configures the given network namespace with the given configuration\n"
		"  teardown  Undo any configuration applied via setup command\n"
		"  update    Updates network dns servers for an already configured network\n"
		"  firewall-reload  Re-applies berth's firewall rules and port forwards from its state\n"
		"  version   Display info about netavark\n"
		"\n"
		"Options:\n"
		"  -f, --file <FILE>                  Read the configuration from FILE instead of STDIN\n"
		"  -c, --config <CONFIG>              Directory for aardvark-dns's files (required)\n"
		"  -r, --rootless <ROOTLESS>          Rootless invocation [possible values: true, false]\n"
		"  -a, --aardvark-binary <PATH>       Path to the aardvark-dns binary\n"
		"      --firewall-driver <DRIVER>     nftables (default), none; iptables/firewalld map to nftables\n"
		"      --plugin-directory <DIR>       Accepted for compatibility; plugins are not supported\n"
		"  -h, --help                         Print help\n"
		"  -V, --version                      Print version\n"
		"\n"
		"setup/teardown take the container's network namespace path: <COMMAND> <NETNS>\n"
		"update takes: update <NETWORK> --network-dns-servers <LIST>\n");
}

static int __attribute__((format(printf, 1, 2))) usage_error(const char *fmt, ...)
{
	va_list ap;
	fputs("error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n\n", stderr);
	usage(stderr);
	return EXIT_USAGE;
}

/* Write one line to stdout in a single write; stdout is the protocol channel. */
static int emit_line(const char *s)
{
	size_t n = strlen(s);
	_cleanup_free_ char *line = malloc(n + 2);
	if (!line)
		return -ENOMEM;
	memcpy(line, s, n);
	line[n] = '\n';
	line[n + 1] = '\0';
	errno = 0;
	if (fwrite(line, 1, n + 1, stdout) != n + 1 || fflush(stdout) != 0) {
		int r = errno ? -errno : -EIO;
		clearerr(stdout);
		return r;
	}
	return 0;
}

static int emit_error(const struct berth_error *err)
{
	_cleanup_free_ char *msg = nv_error_text(err);
	log_debug("failed: %s", msg ? msg : "out of memory");
	_cleanup_free_ char *json = msg ? nv_error_to_json(msg) : NULL;
	/* The only fallback that cannot fail: a fixed, valid object. */
	(void)emit_line(json ? json : "{\"error\":\"out of memory\"}");
	return EXIT_FAILURE;
}

static void setup_logging(void)
{
	static const char *const targets[] = { "netavark", "berth_net", "berth", NULL };
	const char *spec = getenv("BERTH_LOG");
	int lvl = -EINVAL;

	log_set_target("berth_net");
	if (spec && *spec)
		lvl = log_level_parse(spec, targets);
	if (lvl < 0 && (spec = getenv("RUST_LOG")) && *spec)
		lvl = log_level_parse(spec, targets);
	log_set_level(lvl >= 0 ? (enum log_level)lvl : LOG_LEVEL_INFO);
}

/* --firewall-driver, else NETAVARK_FW; nftables by default. */
static int get_fw_driver(enum nv_fw_driver *ret, struct berth_error **reterr)
{
	const char *d = arg_firewall_driver;
	if (!d || !*d)
		d = getenv("NETAVARK_FW");
	if (!d || !*d || streq(d, "nftables")) {
		*ret = NV_FW_NFTABLES;
	} else if (streq(d, "none")) {
		*ret = NV_FW_NONE;
		log_info("firewall driver none: no firewall rules and no port forwarding");
	} else if (streq(d, "iptables") || streq(d, "firewalld")) {
		*ret = NV_FW_NFTABLES;
		log_info("firewall driver '%s' requested, using berth's nftables driver", d);
	} else {
		return berth_error_set(reterr, EINVAL, "Must provide a valid firewall backend, got %s",
				       d);
	}
	return 0;
}

/* NETAVARK_DNS_PORT: 1..65535, default 53 (same message shape as netavark). */
static int get_dns_port(uint16_t *ret, struct berth_error **reterr)
{
	const char *s = getenv("NETAVARK_DNS_PORT");
	const char *p;
	unsigned long v = 0;

	*ret = 53;
	if (!s)
		return 0;
	p = *s == '+' ? s + 1 : s;
	if (!*p)
		return berth_error_set(reterr, EINVAL,
				       "Invalid NETAVARK_DNS_PORT %s: cannot parse integer from empty string",
				       s);
	for (; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return berth_error_set(reterr, EINVAL,
					       "Invalid NETAVARK_DNS_PORT %s: invalid digit found in string",
					       s);
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > 65535)
			return berth_error_set(reterr, EINVAL,
					       "Invalid NETAVARK_DNS_PORT %s: number too large to fit in target type",
					       s);
	}
	if (v == 0)
		return berth_error_set(reterr, EINVAL,
				       "Invalid NETAVARK_DNS_PORT %s: port must be between 1 and 65535",
				       s);
	*ret = (uint16_t)v;
	return 0;
}

static int get_config(const char *cmd, struct berth_error **reterr)
{
	if (!arg_config || !*arg_config)
		return berth_error_set(reterr, EINVAL,
				       "--config not specified but required for netavark %s", cmd);
	return 0;
}

static int load_options(struct nv_options **ret, struct berth_error **reterr)
{
	char *buf = NULL;
	size_t len = 0;
	int r;

	if (arg_file && !streq(arg_file, "-"))
		r = read_file_limited(arg_file, NV_MAX_INPUT, &buf, &len);
	else
		r = read_fd_limited(STDIN_FILENO, NV_MAX_INPUT, &buf, &len);
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_IO, "failed to load network options");
	r = nv_options_parse(buf, len, ret, reterr);
	free(buf);
	if (r < 0)
		return r;
	/* The short id tags every further log line of this invocation. */
	char ctx[13];
	snprintf(ctx, sizeof(ctx), "%s", (*ret)->container_id);
	log_set_context(ctx);
	return 0;
}

static int fill_ctx(struct nv_ctx *ctx, const char *cmd, struct berth_error **reterr)
{
	int r;
	const char *table = getenv("BERTH_NET_FW_TABLE"); /* tests only */

	*ctx = (struct nv_ctx){
		.config_dir = arg_config,
		.rootless = arg_rootless,
		.aardvark_binary = arg_aardvark,
		.fw_table = table && *table ? table : NULL,
	};
	if ((r = get_fw_driver(&ctx->fw_driver, reterr)) < 0 ||
	    (r = get_dns_port(&ctx->dns_port, reterr)) < 0 || (r = get_config(cmd, reterr)) < 0)
		return r;
	return 0;
}

static int cmd_setup(const char *netns)
{
	_cleanup_berth_error_ struct berth_error *err = NULL;
	struct nv_options *o = NULL;
	struct nv_ctx ctx;
	struct stat st;
	int r;

	/* netavark checks the namespace path before it reads its input. */
	if (stat(netns, &st) < 0) {
		berth_error_errno(&err, errno, BERTH_ERR_IO, "invalid namespace path");
		return emit_error(err);
	}
	if (load_options(&o, &err) < 0 || fill_ctx(&ctx, "setup", &err) < 0) {
		nv_options_free(o);
		return emit_error(err);
	}
	r = nv_cmd_setup(&ctx, netns, o, emit_line, &err);
	nv_options_free(o);
	if (r < 0)
		return emit_error(err);
	return EXIT_SUCCESS;
}

static int cmd_teardown(const char *netns)
{
	_cleanup_berth_error_ struct berth_error *err = NULL;
	struct nv_options *o = NULL;
	struct nv_ctx ctx;
	int r;

	if (load_options(&o, &err) < 0 || fill_ctx(&ctx, "teardown", &err) < 0) {
		nv_options_free(o);
		return emit_error(err);
	}
	r = nv_cmd_teardown(&ctx, netns, o, &err);
	nv_options_free(o);
	if (r < 0)
		return emit_error(err);
	return EXIT_SUCCESS;
}

/*
 * --network-dns-servers, comma separated (and repeatable, as 2.x): empty
 * items are skipped, so "" clears the list. A bad address is a usage error,
 * as clap makes it.
 */
static int parse_dns_servers(struct berth_ip *ret, size_t max, size_t *ret_n)
{
	_cleanup_free_ char *copy = strdup(arg_dns_servers);
	char *save = NULL;
	size_t n = 0;

	if (!copy)
		return -ENOMEM;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n == max)
			return usage_error("invalid value '%s' for '--network-dns-servers "
					   "<NETWORK_DNS_SERVERS>': more than %zu servers",
					   arg_dns_servers, max);
		if (berth_ip_parse(tok, &ret[n]) < 0)
			return usage_error("invalid value '%s' for '--network-dns-servers "
					   "<NETWORK_DNS_SERVERS>': invalid IP address syntax",
					   tok);
		n++;
	}
	*ret_n = n;
	return 0;
}

static int cmd_update(const char *network)
{
	_cleanup_berth_error_ struct berth_error *err = NULL;
	struct berth_ip dns[NV_MAX_DNS_SERVERS];
	size_t n_dns = 0;
	struct nv_ctx ctx;
	int r;

	r = parse_dns_servers(dns, ARRAY_SIZE(dns), &n_dns);
	if (r == -ENOMEM) {
		berth_error_set(&err, ENOMEM, "out of memory");
		return emit_error(err);
	}
	if (r != 0)
		return r; /* usage error, already printed */
	/* No firewall here: NETAVARK_FW is not looked at. */
	ctx = (struct nv_ctx){ .config_dir = arg_config,
			       .rootless = arg_rootless,
			       .aardvark_binary = arg_aardvark };
	if (get_dns_port(&ctx.dns_port, &err) < 0 || get_config("update", &err) < 0)
		return emit_error(err);
	log_debug("update %s --network-dns-servers %s", network, arg_dns_servers);
	if (nv_cmd_update(&ctx, network, dns, n_dns, &err) < 0)
		return emit_error(err);
	return EXIT_SUCCESS;
}

static int cmd_firewall_reload(void)
{
	_cleanup_berth_error_ struct berth_error *err = NULL;
	struct nv_ctx ctx;

	if (fill_ctx(&ctx, "firewall-reload", &err) < 0 ||
	    nv_cmd_firewall_reload(&ctx, &err) < 0)
		return emit_error(err);
	return EXIT_SUCCESS;
}

/* Build date as RFC 3339 (from the compiler; SOURCE_DATE_EPOCH is honoured by gcc/clang). */
static void build_time(char buf[32])
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	const char *d = __DATE__; /* "Nov 29 2026" */
	const char *m = strstr(months, (char[]){ d[0], d[1], d[2], 0 });
	int mon = m ? (int)(m - months) / 3 + 1 : 1;
	int day = atoi(d + 4);
	snprintf(buf, 32, "%.4s-%02d-%02dT%sZ", d + 7, mon, day, __TIME__);
}

static int cmd_version(void)
{
	char bt[32];
	build_time(bt);
	json_auto_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "version",
				   BERTH_NETAVARK_VERSION, "commit", "", "build_time", bt, "target",
				   target_triple(), "berth_version", BERTH_VERSION, "default_fw_driver",
				   "nftables");
	_cleanup_free_ char *s = o ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	if (!s || emit_line(s) < 0)
		return EXIT_FAILURE;
	return EXIT_SUCCESS;
}

enum {
	OPT_FIREWALL_DRIVER = 0x100,
	OPT_PLUGIN_DIRECTORY,
	OPT_NETWORK_DNS_SERVERS,
};

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "config", required_argument, NULL, 'c' },
		{ "rootless", required_argument, NULL, 'r' },
		{ "aardvark-binary", required_argument, NULL, 'a' },
		{ "firewall-driver", required_argument, NULL, OPT_FIREWALL_DRIVER },
		{ "plugin-directory", required_argument, NULL, OPT_PLUGIN_DIRECTORY },
		{ "network-dns-servers", required_argument, NULL, OPT_NETWORK_DNS_SERVERS },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{}
	};
	int c;

	(void)signal(SIGPIPE, SIG_IGN);
	setup_logging();

	opterr = 0; /* our own messages, on stderr, exit 2 */
	while ((c = getopt_long(argc, argv, ":f:c:r:a:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			arg_file = optarg;
			break;
		case 'c':
			arg_config = optarg;
			break;
		case 'r':
			if (berth_parse_bool(optarg, &arg_rootless) < 0)
				return usage_error("invalid value '%s' for '--rootless <ROOTLESS>'"
						   " [possible values: true, false]",
						   optarg);
			break;
		case 'a':
			arg_aardvark = optarg;
			break;
		case OPT_FIREWALL_DRIVER:
			arg_firewall_driver = optarg;
			break;
		case OPT_PLUGIN_DIRECTORY:
			log_debug("plugin directory '%s' ignored: plugins are not supported",
				  optarg);
			break;
		case OPT_NETWORK_DNS_SERVERS:
			/* Repeated (2.x): one comma-joined list. */
			if (arg_dns_servers) {
				char *j = NULL;
				if (asprintf(&j, "%s,%s", arg_dns_servers, optarg) < 0)
					return EXIT_FAILURE;
				free(arg_dns_joined);
				arg_dns_servers = arg_dns_joined = j;
			} else {
				arg_dns_servers = optarg;
			}
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		case 'V':
			printf("netavark %s\n", BERTH_NETAVARK_VERSION);
			return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
		case ':':
			if (optopt && optopt < 0x100)
				return usage_error("option '-%c' requires a value", optopt);
			return usage_error("option '%s' requires a value", argv[optind - 1]);
		default:
			if (optopt)
				return usage_error("unexpected argument '-%c'", optopt);
			return usage_error("unexpected argument '%s'", argv[optind - 1]);
		}
	}

	const char *cmd = optind < argc ? argv[optind++] : NULL;
	const char *arg = optind < argc ? argv[optind++] : NULL;
	if (!cmd)
		return usage_error("a subcommand is required");
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);

	if (streq(cmd, "setup") || streq(cmd, "teardown")) {
		if (!arg || !*arg)
			return usage_error("the network namespace path is required for %s", cmd);
		if (arg_dns_servers)
			return usage_error("unexpected argument '--network-dns-servers'");
		return streq(cmd, "setup") ? cmd_setup(arg) : cmd_teardown(arg);
	}
	if (streq(cmd, "update")) {
		if (!arg || !*arg)
			return usage_error("the network name is required for update");
		if (!arg_dns_servers)
			return usage_error("--network-dns-servers <LIST> is required for update");
		return cmd_update(arg);
	}
	if (streq(cmd, "firewall-reload")) {
		if (arg)
			return usage_error("unexpected argument '%s'", arg);
		return cmd_firewall_reload();
	}
	if (streq(cmd, "version")) {
		if (arg)
			return usage_error("unexpected argument '%s'", arg);
		return cmd_version();
	}
	return usage_error("unrecognized subcommand '%s'", cmd);
}
