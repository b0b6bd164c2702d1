// SPDX-License-Identifier: Apache-2.0
/*
 * Fuzz target for the image JSON that registries and archives send
 * (engine/image-json.c): manifests, indexes (with the platform choice),
 * image configs, RFC 3339 dates and image references.
 * Input: "<reference>\n<JSON document>"; the JSON is tried as a manifest or
 * index (by its mediaType) and as an image config. Built with
 * -Dfuzzing=true (clang) it is a libFuzzer binary:
 *   build/tests/fuzz-image-manifest tests/fuzz/corpus/image-manifest
 * Otherwise tests/fuzz/replay.c replays every file of the corpus directory.
 */
#include "image-internal.h"

#include "basic/cleanup.h"
#include "basic/log.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_INPUT (IMG_MAX_JSON + 4096)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_desc(const struct img_desc *d)
{
	if (!img_digest_valid(d->digest) || d->size > IMG_MAX_BLOB_BYTES)
		abort();
}

static void fuzz_ref(const char *s)
{
	static const char *const regs[] = {"docker.io", "localhost"};
	for (size_t i = 0; i < ARRAY_SIZE(regs); i++) {
		struct img_ref r = {0};
		struct berth_error *e = NULL;
		if (img_ref_parse(s, regs[i], &r, &e) < 0) {
			if (!e || !e->msg)
				abort();
			berth_error_free(e);
			continue;
		}
		if (!r.registry || !r.repo || (!r.tag && !r.digest))
			abort();
		if (r.digest && !img_digest_valid(r.digest))
			abort();
		/* the name berth stores parses back to itself */
		_cleanup_free_ char *name = img_ref_name(&r);
		if (!name)
			abort();
		struct img_ref back = {0};
		if (img_ref_parse(name, "localhost", &back, NULL) < 0)
			abort();
		_cleanup_free_ char *again = img_ref_name(&back);
		if (!again || strcmp(again, name) != 0)
			abort();
		img_ref_done(&back);
		img_ref_done(&r);
	}
	long long t;
	(void)img_parse_time(s, &t);
}

static void fuzz_doc(const char *buf, size_t len)
{
	json_t *doc = NULL;
	enum img_doc_kind kind;

	if (img_json_load(buf, len, "fuzz", &doc, NULL) < 0)
		return;
	if (img_doc_kind(doc, NULL, &kind, NULL) == 0) {
		if (kind == IMG_DOC_MANIFEST) {
			struct img_manifest m = {0};
			if (img_manifest_parse(doc, &m, NULL) == 0) {
				if (m.n_layers > IMG_MAX_LAYERS)
					abort();
				check_desc(&m.config);
				for (size_t i = 0; i < m.n_layers; i++) {
					check_desc(&m.layers[i]);
					if (!img_layer_type_supported(m.layers[i].media_type))
						abort();
				}
				img_manifest_done(&m);
			}
		} else {
			struct img_index x = {0};
			size_t sel;
			if (img_index_parse(doc, &x, NULL) == 0) {
				if (x.n == 0 || x.n > IMG_MAX_INDEX_ENTRIES)
					abort();
				for (size_t i = 0; i < x.n; i++)
					check_desc(&x.m[i]);
				if (img_index_select(&x, "amd64", &sel, NULL) == 0 && sel >= x.n)
					abort();
				if (img_index_select(&x, "arm64", &sel, NULL) == 0 && sel >= x.n)
					abort();
				img_index_done(&x);
			}
		}
	}
	/* the same document through the content-type path and as a manifest whatever it says */
	(void)img_doc_kind(doc, MT_DOCKER_LIST, &kind, NULL);
	struct img_manifest m = {0};
	if (img_manifest_parse(doc, &m, NULL) == 0)
		img_manifest_done(&m);
	json_decref(doc);

	struct img_config c = {0};
	if (img_config_parse(buf, len, &c, NULL) == 0) {
		if (!json_is_object(c.json) || !json_is_object(c.config) ||
		    c.n_diff_ids > IMG_MAX_LAYERS)
			abort();
		for (size_t i = 0; i < c.n_diff_ids; i++)
			if (!img_digest_valid(c.diff_ids[i]))
				abort();
		img_config_done(&c);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	log_set_level(LOG_LEVEL_OFF);
	if (size > FUZZ_MAX_INPUT)
		return 0;
	const char *nl = memchr(data, '\n', size);
	size_t rlen = nl ? (size_t)(nl - (const char *)data) : size;
	if (rlen <= 1024) {
		char ref[1025];
		memcpy(ref, data, rlen);
		ref[rlen] = '\0';
		if (!memchr(ref, '\0', rlen))
			fuzz_ref(ref);
	}
	if (nl)
		fuzz_doc(nl + 1, size - rlen - 1);
	fuzz_doc((const char *)data, size);
	return 0;
}
