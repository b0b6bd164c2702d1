// SPDX-License-Identifier: Apache-2.0
/*
 * Untrusted JSON of images: OCI/Docker manifests and indexes, image configs,
 * and image references. Everything here is reached by bytes from a registry
 * or an archive, so every field is type-checked and every count bounded;
 * tests/fuzz/fuzz-image-manifest.c drives it. Only jansson and libc.
 */
#include "image-internal.h"

#include "basic/cleanup.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

void img_desc_done(struct img_desc *d)
{
	free(d->media_type);
	free(d->os);
	free(d->arch);
	free(d->variant);
	free(d->ref_name);
	memset(d, 0, sizeof(*d));
}

void img_manifest_done(struct img_manifest *m)
{
	img_desc_done(&m->config);
	for (size_t i = 0; i < m->n_layers; i++)
		img_desc_done(&m->layers[i]);
	free(m->layers);
	memset(m, 0, sizeof(*m));
}

void img_index_done(struct img_index *x)
{
	for (size_t i = 0; i < x->n; i++)
		img_desc_done(&x->m[i]);
	free(x->m);
	memset(x, 0, sizeof(*x));
}

void img_config_done(struct img_config *c)
{
	if (c->config && (!c->json || json_object_get(c->json, "config") != c->config))
		json_decref(c->config);
	json_decref(c->json);
	for (size_t i = 0; i < c->n_diff_ids; i++)
		free(c->diff_ids[i]);
	free(c->diff_ids);
	memset(c, 0, sizeof(*c));
}

bool img_hex_valid(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

bool img_digest_valid(const char *s)
{
	return s && strlen(s) == IMG_DIGEST_LEN && strncmp(s, "sha256:", 7) == 0 &&
	       img_hex_valid(s + 7, 64);
}

int img_json_load(const char *buf, size_t len, const char *what, json_t **ret,
		  struct berth_error **reterr)
{
	json_error_t jerr;

	if (len > IMG_MAX_JSON)
		return berth_error_set(reterr, EFBIG, "%s: larger than %u bytes", what,
				       IMG_MAX_JSON);
	json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j)
		return berth_error_set(reterr, EINVAL, "%s: not JSON: %s (line %d)", what,
				       jerr.text, jerr.line);
	if (!json_is_object(j)) {
		json_decref(j);
		return berth_error_set(reterr, EINVAL, "%s: not a JSON object", what);
	}
	*ret = j;
	return 0;
}

static int get_str(json_t *o, const char *key, bool required, const char *what, char **ret,
		   struct berth_error **reterr)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v)) {
		if (required)
			return berth_error_set(reterr, EINVAL, "%s: no \"%s\"", what, key);
		*ret = NULL;
		return 0;
	}
	if (!json_is_string(v))
		return berth_error_set(reterr, EINVAL, "%s: \"%s\" is not a string", what, key);
	if (json_string_length(v) > IMG_MAX_PATH ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return berth_error_set(reterr, EINVAL, "%s: bad \"%s\"", what, key);
	*ret = strdup(json_string_value(v));
	if (!*ret)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	return 0;
}

static int desc_parse(json_t *o, const char *what, struct img_desc *d, struct berth_error **reterr)
{
	_cleanup_free_ char *digest = NULL;
	int r;

	memset(d, 0, sizeof(*d));
	if (!json_is_object(o))
		return berth_error_set(reterr, EINVAL, "%s: descriptor is not an object", what);
	if ((r = get_str(o, "mediaType", false, what, &d->media_type, reterr)) < 0 ||
	    (r = get_str(o, "digest", true, what, &digest, reterr)) < 0)
		goto fail;
	if (!img_digest_valid(digest)) {
		r = berth_error_set(reterr, EINVAL,
				    "%s: digest '%.80s' is not a sha256 digest (sha256:<64 hex>)",
				    what, digest);
		goto fail;
	}
	memcpy(d->digest, digest, IMG_DIGEST_LEN + 1);
	json_t *sz = json_object_get(o, "size");
	if (!json_is_integer(sz) || json_integer_value(sz) < 0 ||
	    (unsigned long long)json_integer_value(sz) > IMG_MAX_BLOB_BYTES) {
		r = berth_error_set(reterr, EINVAL, "%s: bad or missing size (at most %llu)", what,
				    IMG_MAX_BLOB_BYTES);
		goto fail;
	}
	d->size = (unsigned long long)json_integer_value(sz);
	json_t *p = json_object_get(o, "platform");
	if (p && !json_is_null(p)) {
		if (!json_is_object(p)) {
			r = berth_error_set(reterr, EINVAL, "%s: platform is not an object", what);
			goto fail;
		}
		if ((r = get_str(p, "os", false, what, &d->os, reterr)) < 0 ||
		    (r = get_str(p, "architecture", false, what, &d->arch, reterr)) < 0 ||
		    (r = get_str(p, "variant", false, what, &d->variant, reterr)) < 0)
			goto fail;
	}
	json_t *a = json_object_get(o, "annotations");
	if (a && !json_is_null(a)) {
		if (!json_is_object(a)) {
			r = berth_error_set(reterr, EINVAL, "%s: annotations is not an object",
					    what);
			goto fail;
		}
		if ((r = get_str(a, "org.opencontainers.image.ref.name", false, what,
				 &d->ref_name, reterr)) < 0)
			goto fail;
	}
	return 0;
fail:
	img_desc_done(d);
	return r;
}

int img_doc_kind(json_t *doc, const char *content_type, enum img_doc_kind *ret,
		 struct berth_error **reterr)
{
	json_t *mt = json_object_get(doc, "mediaType");
	const char *t = json_is_string(mt) ? json_string_value(mt) : NULL;
	json_t *sv = json_object_get(doc, "schemaVersion");

	if (json_is_integer(sv) && json_integer_value(sv) == 1)
		return berth_error_set(reterr, ENOTSUP,
				       "Docker manifest schema 1 is not supported");
	if (!t && content_type && *content_type && strncmp(content_type, "application/json", 16) &&
	    strncmp(content_type, "text/plain", 10))
		t = content_type;
	if (t) {
		if (strcmp(t, MT_OCI_MANIFEST) == 0 || strcmp(t, MT_DOCKER_MANIFEST) == 0) {
			*ret = IMG_DOC_MANIFEST;
			return 0;
		}
		if (strcmp(t, MT_OCI_INDEX) == 0 || strcmp(t, MT_DOCKER_LIST) == 0) {
			*ret = IMG_DOC_INDEX;
			return 0;
		}
		return berth_error_set(reterr, ENOTSUP, "unsupported manifest type '%.100s'", t);
	}
	/* OCI allows a manifest without mediaType: tell by its shape */
	if (json_is_array(json_object_get(doc, "manifests"))) {
		*ret = IMG_DOC_INDEX;
		return 0;
	}
	if (json_is_object(json_object_get(doc, "config"))) {
		*ret = IMG_DOC_MANIFEST;
		return 0;
	}
	return berth_error_set(reterr, EINVAL, "neither an image manifest nor an index");
}

static int check_schema2(json_t *doc, const char *what, struct berth_error **reterr)
{
	json_t *sv = json_object_get(doc, "schemaVersion");
	if (!json_is_integer(sv) || json_integer_value(sv) != 2)
		return berth_error_set(reterr, EINVAL, "%s: schemaVersion is not 2", what);
	return 0;
}

int img_manifest_parse(json_t *doc, struct img_manifest *ret, struct berth_error **reterr)
{
	struct img_manifest m = {0};
	int r;

	if ((r = check_schema2(doc, "manifest", reterr)) < 0)
		return r;
	if ((r = desc_parse(json_object_get(doc, "config"), "manifest config", &m.config,
			    reterr)) < 0)
		return r;
	if (m.config.media_type && strcmp(m.config.media_type, MT_OCI_CONFIG) &&
	    strcmp(m.config.media_type, MT_DOCKER_CONFIG)) {
		r = berth_error_set(reterr, ENOTSUP,
				    "manifest: config type '%.100s' is not an image config",
				    m.config.media_type);
		goto fail;
	}
	json_t *layers = json_object_get(doc, "layers");
	if (!json_is_array(layers)) {
		r = berth_error_set(reterr, EINVAL, "manifest: no \"layers\" array");
		goto fail;
	}
	size_t n = json_array_size(layers);
	if (n > IMG_MAX_LAYERS) {
		r = berth_error_set(reterr, E2BIG, "manifest: %zu layers (at most %d)", n,
				    IMG_MAX_LAYERS);
		goto fail;
	}
	m.layers = calloc(n ? n : 1, sizeof(*m.layers));
	if (!m.layers) {
		r = berth_error_set(reterr, ENOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		if ((r = desc_parse(json_array_get(layers, i), "manifest layer",
				    &m.layers[i], reterr)) < 0)
			goto fail;
		m.n_layers++;
		if (!img_layer_type_supported(m.layers[i].media_type)) {
			r = berth_error_set(reterr, ENOTSUP,
					    "manifest: layer %zu has unsupported type '%.100s'", i,
					    m.layers[i].media_type ? m.layers[i].media_type : "");
			goto fail;
		}
	}
	*ret = m;
	return 0;
fail:
	img_manifest_done(&m);
	return r;
}

int img_index_parse(json_t *doc, struct img_index *ret, struct berth_error **reterr)
{
	struct img_index x = {0};
	int r;

	if ((r = check_schema2(doc, "index", reterr)) < 0)
		return r;
	json_t *ms = json_object_get(doc, "manifests");
	if (!json_is_array(ms))
		return berth_error_set(reterr, EINVAL, "index: no \"manifests\" array");
	size_t n = json_array_size(ms);
	if (n > IMG_MAX_INDEX_ENTRIES)
		return berth_error_set(reterr, E2BIG, "index: %zu entries (at most %d)", n,
				       IMG_MAX_INDEX_ENTRIES);
	if (n == 0)
		return berth_error_set(reterr, EINVAL, "index: no manifests");
	x.m = calloc(n, sizeof(*x.m));
	if (!x.m)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		if ((r = desc_parse(json_array_get(ms, i), "index entry", &x.m[i], reterr)) < 0)
			goto fail;
		x.n++;
	}
	*ret = x;
	return 0;
fail:
	img_index_done(&x);
	return r;
}

const char *img_host_arch(void)
{
	struct utsname u;
	if (uname(&u) < 0)
		return "amd64";
	static const struct {
		const char *machine, *arch;
	} map[] = {
		{"x86_64", "amd64"}, {"aarch64", "arm64"}, {"armv7l", "arm"},
		{"i686", "386"},     {"i386", "386"},	  {"ppc64le", "ppc64le"},
		{"s390x", "s390x"},  {"riscv64", "riscv64"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (strcmp(u.machine, map[i].machine) == 0)
			return map[i].arch;
	return "amd64";
}

int img_index_select(const struct img_index *x, const char *arch, size_t *ret,
		     struct berth_error **reterr)
{
	if (!arch)
		arch = img_host_arch();
	for (size_t i = 0; i < x->n; i++) {
		const struct img_desc *d = &x->m[i];
		if (d->os && strcmp(d->os, "linux") == 0 && d->arch && strcmp(d->arch, arch) == 0) {
			*ret = i;
			return 0;
		}
	}
	if (x->n == 1 && !x->m[0].os && !x->m[0].arch) {
		*ret = 0;
		return 0;
	}
	return berth_error_set(reterr, ENOENT, "no image for linux/%s among the %zu in the index",
			       arch, x->n);
}

bool img_layer_type_supported(const char *t)
{
	static const char *const ok[] = {
		"application/vnd.oci.image.layer.v1.tar",
		"application/vnd.oci.image.layer.v1.tar+gzip",
		"application/vnd.oci.image.layer.v1.tar+zstd",
		"application/vnd.docker.image.rootfs.diff.tar.gzip",
		"application/vnd.docker.image.rootfs.diff.tar",
	};
	if (!t)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
		if (strcmp(t, ok[i]) == 0)
			return true;
	return false;
}

static int parse_digits(const char **p, int n, int *ret)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)**p))
			return -EINVAL;
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	*ret = v;
	return 0;
}

int img_parse_time(const char *s, long long *ret)
{
	int y, mo, d, h, mi, sec, oh = 0, om = 0;
	const char *p = s;

	if (parse_digits(&p, 4, &y) < 0 || *p++ != '-' || parse_digits(&p, 2, &mo) < 0 ||
	    *p++ != '-' || parse_digits(&p, 2, &d) < 0 || (*p != 'T' && *p != 't' && *p != ' '))
		return -EINVAL;
	p++;
	if (parse_digits(&p, 2, &h) < 0 || *p++ != ':' || parse_digits(&p, 2, &mi) < 0 ||
	    *p++ != ':' || parse_digits(&p, 2, &sec) < 0)
		return -EINVAL;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		while (isdigit((unsigned char)*p))
			p++;
	}
	int sign = 0;
	if (*p == 'Z' || *p == 'z')
		p++;
	else if (*p == '+' || *p == '-') {
		sign = *p == '+' ? 1 : -1;
		p++;
		if (parse_digits(&p, 2, &oh) < 0 || *p++ != ':' || parse_digits(&p, 2, &om) < 0)
			return -EINVAL;
	} else
		return -EINVAL;
	if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 ||
	    oh > 23 || om > 59)
		return -EINVAL;
	struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
			.tm_min = mi, .tm_sec = sec};
	long long t = (long long)timegm(&tm);
	*ret = t - sign * (oh * 3600LL + om * 60LL);
	return 0;
}

int img_config_parse(const char *buf, size_t len, struct img_config *ret,
		     struct berth_error **reterr)
{
	struct img_config c = {0};
	int r;

	if ((r = img_json_load(buf, len, "image config", &c.json, reterr)) < 0)
		return r;
	json_t *cfg = json_object_get(c.json, "config");
	if (cfg && !json_is_null(cfg) && !json_is_object(cfg)) {
		r = berth_error_set(reterr, EINVAL, "image config: \"config\" is not an object");
		goto fail;
	}
	if (json_is_object(cfg)) {
		/* the fields a container uses must have their types */
		static const char *const strs[] = {"User", "WorkingDir", "StopSignal"};
		static const char *const arrs[] = {"Env", "Cmd", "Entrypoint"};
		for (size_t i = 0; i < ARRAY_SIZE(strs); i++) {
			json_t *v = json_object_get(cfg, strs[i]);
			if (v && !json_is_null(v) && !json_is_string(v)) {
				r = berth_error_set(reterr, EINVAL,
						    "image config: %s is not a string", strs[i]);
				goto fail;
			}
		}
		for (size_t i = 0; i < ARRAY_SIZE(arrs); i++) {
			json_t *v = json_object_get(cfg, arrs[i]), *e;
			size_t k;
			if (!v || json_is_null(v))
				continue;
			if (!json_is_array(v)) {
				r = berth_error_set(reterr, EINVAL,
						    "image config: %s is not an array", arrs[i]);
				goto fail;
			}
			json_array_foreach(v, k, e) {
				if (!json_is_string(e)) {
					r = berth_error_set(reterr, EINVAL,
							    "image config: %s holds a non-string",
							    arrs[i]);
					goto fail;
				}
			}
		}
		c.config = cfg;
	} else if (!(c.config = json_object())) {
		r = berth_error_set(reterr, ENOMEM, "out of memory");
		goto fail;
	}
	json_t *cr = json_object_get(c.json, "created");
	if (json_is_string(cr) && img_parse_time(json_string_value(cr), &c.created) < 0)
		c.created = 0; /* a bad date is not worth refusing the image */
	json_t *rootfs = json_object_get(c.json, "rootfs");
	json_t *ids = json_is_object(rootfs) ? json_object_get(rootfs, "diff_ids") : NULL;
	if (ids && !json_is_null(ids)) {
		if (!json_is_array(ids) || json_array_size(ids) > IMG_MAX_LAYERS) {
			r = berth_error_set(reterr, EINVAL,
					    "image config: bad rootfs.diff_ids (at most %d)",
					    IMG_MAX_LAYERS);
			goto fail;
		}
		size_t n = json_array_size(ids);
		c.diff_ids = calloc(n ? n : 1, sizeof(char *));
		if (!c.diff_ids) {
			r = berth_error_set(reterr, ENOMEM, "out of memory");
			goto fail;
		}
		for (size_t i = 0; i < n; i++) {
			const char *s = json_string_value(json_array_get(ids, i));
			if (!img_digest_valid(s)) {
				r = berth_error_set(reterr, EINVAL,
						    "image config: diff_id %zu is not a sha256 digest",
						    i);
				goto fail;
			}
			if (!(c.diff_ids[i] = strdup(s))) {
				r = berth_error_set(reterr, ENOMEM, "out of memory");
				goto fail;
			}
			c.n_diff_ids++;
		}
	}
	*ret = c;
	return 0;
fail:
	img_config_done(&c);
	return r;
}

void img_ref_done(struct img_ref *r)
{
	free(r->registry);
	free(r->repo);
	free(r->tag);
	free(r->digest);
	memset(r, 0, sizeof(*r));
}

bool img_ref_has_registry(const char *s)
{
	const char *slash = strchr(s, '/');
	if (!slash)
		return false;
	size_t n = (size_t)(slash - s);
	return memchr(s, '.', n) || memchr(s, ':', n) || (n == 9 && strncmp(s, "localhost", 9) == 0);
}

static bool registry_valid(const char *s)
{
	if (!*s || strlen(s) > 255)
		return false;
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr(".-:[]", *p))
			return false;
	return true;
}

static bool repo_valid(const char *s)
{
	if (!*s || strlen(s) > 255 || *s == '/' || s[strlen(s) - 1] == '/' || strstr(s, "//"))
		return false;
	for (const char *p = s; *p; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) ||
		      strchr("._-/", *p)))
			return false;
	/* every component starts and ends with [a-z0-9] (no "." or ".." components) */
	for (const char *p = s; *p;) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (!isalnum((unsigned char)p[0]) || !isalnum((unsigned char)p[n - 1]))
			return false;
		p += n + (e ? 1 : 0);
	}
	return true;
}

static bool tag_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 128 || !(isalnum((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_.-", *p))
			return false;
	return true;
}

int img_ref_parse(const char *s, const char *default_registry, struct img_ref *ret,
		  struct berth_error **reterr)
{
	struct img_ref r = {0};
	_cleanup_free_ char *copy = NULL;
	int k;

	if (!s || !*s || strlen(s) > IMG_MAX_NAME)
		return berth_error_set(reterr, EINVAL, "invalid reference '%.100s'", s ? s : "");
	if (!(copy = strdup(s)))
		return berth_error_set(reterr, ENOMEM, "out of memory");
	char *at = strchr(copy, '@');
	if (at) {
		*at++ = '\0';
		if (!img_digest_valid(at)) {
			k = berth_error_set(reterr, EINVAL,
					    "invalid reference '%.100s': bad digest (sha256:<64 hex>)",
					    s);
			goto fail;
		}
		if (!(r.digest = strdup(at)))
			goto oom;
	}
	char *rest = copy;
	if (img_ref_has_registry(copy)) {
		char *slash = strchr(copy, '/');
		*slash = '\0';
		r.registry = strdup(strcmp(copy, "index.docker.io") == 0 ? "docker.io" : copy);
		rest = slash + 1;
	} else
		r.registry = strdup(default_registry);
	if (!r.registry)
		goto oom;
	char *colon = strrchr(rest, ':');
	if (colon) {
		*colon++ = '\0';
		if (!tag_valid(colon)) {
			k = berth_error_set(reterr, EINVAL, "invalid reference '%.100s': bad tag", s);
			goto fail;
		}
		if (!(r.tag = strdup(colon)))
			goto oom;
	} else if (!r.digest && !(r.tag = strdup("latest")))
		goto oom;
	if (strcmp(r.registry, "docker.io") == 0 && !strchr(rest, '/')) {
		if (asprintf(&r.repo, "library/%s", rest) < 0) {
			r.repo = NULL;
			goto oom;
		}
	} else if (!(r.repo = strdup(rest)))
		goto oom;
	if (!registry_valid(r.registry) || !repo_valid(r.repo)) {
		k = berth_error_set(reterr, EINVAL,
				    "invalid reference '%.100s': repository names are lowercase "
				    "[a-z0-9._-] components separated by '/'",
				    s);
		goto fail;
	}
	*ret = r;
	return 0;
oom:
	k = berth_error_set(reterr, ENOMEM, "out of memory");
fail:
	img_ref_done(&r);
	return k;
}

char *img_ref_name(const struct img_ref *r)
{
	char *s = NULL;
	int n = r->tag ? asprintf(&s, "%s/%s:%s", r->registry, r->repo, r->tag)
		       : asprintf(&s, "%s/%s@%s", r->registry, r->repo, r->digest);
	return n < 0 ? NULL : s;
}
