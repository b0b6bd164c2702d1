// SPDX-License-Identifier: Apache-2.0
/*
 * Fuzz target for the CNI plugin config parser: the skeleton's stdin path
 * (JSON, cniVersion/name/type/runtimeConfig/args, prevResult into typed
 * structs, GC attachments), CNI_ARGS, the tuning plugin's own keys (sysctl
 * map and key resolution, mac, mtu, promisc, allmulti, txQLen, dataDir,
 * args.cni, runtimeConfig.mac) and the result emitters of every version.
 *
 * Input: [CNI_ARGS "\0"] CONFIG. The first byte of CONFIG chooses the verb
 * when it is not '{' ('G' = GC, anything else = ADD). Nothing touches the
 * kernel: the callbacks only parse and emit.
 *
 * Built with -Dfuzzing=true (clang) it is a libFuzzer binary:
 *   build/tests/fuzz-cni-config tests/fuzz/corpus/cni-config
 * Otherwise tests/fuzz/replay.c replays the corpus as an ordinary test.
 */
int tuning_main(int argc, char **argv);
#define main tuning_main
#include "tuning/tuning.c"
#undef main

#include <stdint.h>
#include <sys/mman.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Emitting is idempotent through parsing: emit(v) -> parse(v) -> emit(v)
 * gives the same bytes for every version (0.1.0/0.2.0 lose data on the
 * first emit, but not on the second).
 */
static void check_round_trip(const struct cni_result *r, enum cni_version v)
{
	json_t *j1 = NULL, *j2 = NULL;
	struct cni_result *back = NULL;
	_cleanup_cni_error_ struct cni_error *e = NULL;

	if (cni_result_to_json(r, v, &j1, &e) < 0)
		return;
	if (cni_result_from_json(j1, v, "result", &back, &e) < 0) {
		fprintf(stderr, "emitted %s result does not parse: %s\n", cni_version_to_string(v),
			e && e->msg ? e->msg : "?");
		abort();
	}
	if (cni_result_to_json(back, v, &j2, &e) < 0)
		abort();
	char *s1 = json_dumps(j1, JSON_COMPACT), *s2 = json_dumps(j2, JSON_COMPACT);
	if (!s1 || !s2 || strcmp(s1, s2) != 0) {
		fprintf(stderr, "round trip differs at %s:\n%s\n%s\n", cni_version_to_string(v),
			s1 ? s1 : "", s2 ? s2 : "");
		abort();
	}
	free(s1);
	free(s2);
	json_decref(j1);
	json_decref(j2);
	cni_result_free(back);
}

static int fuzz_add(struct cni_request *req, struct cni_result **ret, struct cni_error **reterr)
{
	struct tuning_conf *c = malloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	(void)conf_parse(req, c, reterr);
	cni_error_freep(reterr);
	free(c);

	if (req->prev_result) {
		for (int v = 0; v < _CNI_VERSION_MAX; v++)
			check_round_trip(req->prev_result, (enum cni_version)v);
		*ret = TAKE_PTR(req->prev_result);
		return 0;
	}
	*ret = cni_result_new();
	return *ret ? 0 : -ENOMEM;
}

static int fuzz_verb(struct cni_request *req, struct cni_error **reterr)
{
	return 0;
}

static const struct cni_plugin fuzz_plugin = {
    .name = "fuzz",
    .min_version = CNI_VERSION_0_1_0,
    .args_keys = tuning_args,
    .add = fuzz_add,
    .del = fuzz_verb,
    .check = fuzz_verb,
    .gc = fuzz_verb,
};

static char fuzz_args[CNI_MAX_ENV + 1];
static const char *fuzz_cmd;

static const char *fuzz_getenv(const char *name)
{
	if (strcmp(name, "CNI_COMMAND") == 0)
		return fuzz_cmd;
	if (strcmp(name, "CNI_CONTAINERID") == 0)
		return "fuzz-container";
	if (strcmp(name, "CNI_NETNS") == 0)
		return "/nonexistent/netns";
	if (strcmp(name, "CNI_IFNAME") == 0)
		return "eth0";
	if (strcmp(name, "CNI_ARGS") == 0)
		return fuzz_args;
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	const uint8_t *nul = memchr(data, '\0', size);

	log_set_level(LOG_LEVEL_OFF);
	if (!devnull && !(devnull = fopen("/dev/null", "we")))
		return 0;
	fuzz_args[0] = '\0';
	if (nul) {
		size_t n = (size_t)(nul - data);
		if (n > CNI_MAX_ENV)
			n = CNI_MAX_ENV;
		memcpy(fuzz_args, data, n);
		fuzz_args[n] = '\0';
		size -= (size_t)(nul - data) + 1;
		data = nul + 1;
	}
	fuzz_cmd = "ADD";
	if (size > 0 && data[0] != '{') {
		fuzz_cmd = data[0] == 'G' ? "GC" : "ADD";
		data++;
		size--;
	}

	int fd = memfd_create("fuzz-stdin", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (size > 0 && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	(void)lseek(fd, 0, SEEK_SET);
	struct cni_io io = {.getenv = fuzz_getenv, .in_fd = fd, .out = devnull, .err = devnull};
	(void)cni_skel_run(&fuzz_plugin, &io);
	close(fd);
	return 0;
}
