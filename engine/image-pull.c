// SPDX-License-Identifier: Apache-2.0
/*
 * `berth pull`: the OCI distribution API v2 over HTTP(S) with libcurl.
 *
 *   GET /v2/<repo>/manifests/<tag|digest>   (Accept: OCI manifest and index,
 *                                            Docker schema 2 and manifest list)
 *   index/list -> the linux/<host arch> entry -> GET .../manifests/<digest>
 *   GET /v2/<repo>/blobs/<config digest>     into memory, verified
 *   GET /v2/<repo>/blobs/<layer digest>      into <tmp>/blobs, verified, applied
 *
 * A 401 with "WWW-Authenticate: Bearer realm=...,service=...,scope=..." is
 * answered by fetching an anonymous token from the realm and retrying once
 * (docker.io). Every digest is checked (the manifest's when pulled by
 * digest or reached from an index, the config's, every layer's) with the
 * sizes of the descriptors; a body longer than its descriptor is cut off.
 */
#include "image.h"
#include "image-internal.h"

#include "basic/cleanup.h"
#include "basic/log.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define PULL_CONNECT_TIMEOUT 30L
#define PULL_LOW_SPEED_LIMIT 1024L /* bytes/s ... */
#define PULL_LOW_SPEED_TIME 60L	   /* ... for that many seconds: abort */
#define PULL_MAX_REDIRS 10L
#define PULL_MAX_ERROR_BODY (64u << 10)
#define PULL_MAX_HEADER 8192

struct reg {
	CURL *curl;
	char *base; /* "https://host[:port]" */
	const char *display;
	const char *repo;
	char *token;
	bool tls_verify;
	bool quiet;
	char errbuf[CURL_ERROR_SIZE];
};

struct resp {
	/* memory body */
	char *buf;
	size_t len, max;
	/* file body */
	int fd;
	struct img_sha256 *h;
	unsigned long long written, max_file;
	bool overflow;
	int werr;
	/* headers of the last response */
	char *content_type;
	char *www_auth;
};

static void resp_reset(struct resp *r)
{
	free(r->buf);
	free(r->content_type);
	free(r->www_auth);
	r->buf = r->content_type = r->www_auth = NULL;
	r->len = 0;
	r->overflow = false;
}

static char *header_value(const char *line, size_t n, const char *name)
{
	size_t k = strlen(name);
	if (n <= k || strncasecmp(line, name, k) != 0 || line[k] != ':')
		return NULL;
	const char *v = line + k + 1;
	const char *end = line + n;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	return strndup(v, (size_t)(end - v));
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *ud)
{
	struct resp *r = ud;
	size_t n = size * nmemb;
	char *v;

	if (n > PULL_MAX_HEADER)
		return n; /* ignored */
	if (n >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		/* a new response (after a redirect): forget the previous headers */
		free(r->content_type);
		free(r->www_auth);
		r->content_type = r->www_auth = NULL;
	} else if ((v = header_value(p, n, "Content-Type"))) {
		free(r->content_type);
		r->content_type = v;
	} else if ((v = header_value(p, n, "WWW-Authenticate"))) {
		free(r->www_auth);
		r->www_auth = v;
	}
	return n;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
	struct resp *r = ud;
	size_t n = size * nmemb;

	if (r->fd >= 0) {
		if (r->written + n > r->max_file) {
			r->overflow = true;
			return 0;
		}
		img_sha256_update(r->h, p, n);
		for (size_t off = 0; off < n;) {
			ssize_t w = write(r->fd, p + off, n - off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				r->werr = errno;
				return 0;
			}
			off += (size_t)w;
		}
		r->written += n;
		return n;
	}
	if (n > r->max - r->len) {
		r->overflow = true;
		return 0;
	}
	char *nb = realloc(r->buf, r->len + n + 1);
	if (!nb)
		return 0;
	r->buf = nb;
	memcpy(r->buf + r->len, p, n);
	r->len += n;
	r->buf[r->len] = '\0';
	return n;
}

static curl_socket_t open_socket(void *ud, curlsocktype purpose, struct curl_sockaddr *a)
{
	int fd = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
	return fd < 0 ? CURL_SOCKET_BAD : fd;
}

/* Registry error bodies: {"errors":[{"code":..,"message":..}]} */
static char *error_text(const struct resp *r)
{
	json_t *j = r->buf ? json_loadb(r->buf, r->len, 0, NULL) : NULL;
	json_t *e = json_array_get(json_object_get(j, "errors"), 0);
	const char *msg = json_string_value(json_object_get(e, "message"));
	const char *code = json_string_value(json_object_get(e, "code"));
	char *s = NULL;
	if (msg && asprintf(&s, "%s%s%s", code ? code : "", code ? ": " : "", msg) < 0)
		s = NULL;
	json_decref(j);
	return s;
}

/* One GET. *ret_status is the HTTP status. */
static int get_once(struct reg *g, const char *url, const char *accept, struct resp *r,
		    long *ret_status, struct berth_error **reterr)
{
	struct curl_slist *h = NULL;
	_cleanup_free_ char *auth = NULL, *acc = NULL;
	CURL *c = g->curl;

	curl_easy_reset(c);
	if (accept && asprintf(&acc, "Accept: %s", accept) >= 0)
		h = curl_slist_append(h, acc);
	if (g->token && asprintf(&auth, "Authorization: Bearer %s", g->token) >= 0)
		h = curl_slist_append(h, auth);
	(void)curl_easy_setopt(c, CURLOPT_URL, url);
	(void)curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	(void)curl_easy_setopt(c, CURLOPT_USERAGENT, "berth");
	(void)curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	(void)curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	(void)curl_easy_setopt(c, CURLOPT_MAXREDIRS, PULL_MAX_REDIRS);
	(void)curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	(void)curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, g->tls_verify ? "https" : "http,https");
	(void)curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, PULL_CONNECT_TIMEOUT);
	(void)curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, PULL_LOW_SPEED_LIMIT);
	(void)curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, PULL_LOW_SPEED_TIME);
	(void)curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, g->tls_verify ? 1L : 0L);
	(void)curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, g->tls_verify ? 2L : 0L);
	(void)curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	(void)curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	(void)curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	(void)curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	(void)curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	(void)curl_easy_setopt(c, CURLOPT_ERRORBUFFER, g->errbuf);
	g->errbuf[0] = '\0';
	log_debug("GET %s", url);
	CURLcode cr = curl_easy_perform(c);
	curl_slist_free_all(h);
	if (r->overflow && r->fd >= 0)
		return berth_error_set(reterr, EFBIG, "GET %s: more bytes than the descriptor's %llu",
				       url, r->max_file);
	if (r->overflow)
		return berth_error_set(reterr, EFBIG, "GET %s: response larger than %zu bytes", url,
				       r->max);
	if (r->werr)
		return berth_error_errno(reterr, -r->werr, BERTH_ERR_IO, "GET %s: write", url);
	if (cr != CURLE_OK)
		return berth_error_set(reterr, cr == CURLE_OPERATION_TIMEDOUT ? ETIMEDOUT : EIO,
				       "GET %s: %s", url, g->errbuf[0] ? g->errbuf : curl_easy_strerror(cr));
	(void)curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, ret_status);
	return 0;
}

/* The value of key="..." (or key=token) in a WWW-Authenticate challenge. */
static char *challenge_param(const char *s, const char *key)
{
	size_t k = strlen(key);
	for (const char *p = s; (p = strcasestr(p, key));) {
		bool start = p == s || p[-1] == ' ' || p[-1] == ',';
		if (!start || p[k] != '=') {
			p += k;
			continue;
		}
		p += k + 1;
		if (*p == '"') {
			const char *e = strchr(++p, '"');
			return e ? strndup(p, (size_t)(e - p)) : NULL;
		}
		return strndup(p, strcspn(p, ", "));
	}
	return NULL;
}

static int fetch_token(struct reg *g, const char *challenge, struct berth_error **reterr)
{
	_cleanup_free_ char *realm = challenge_param(challenge, "realm");
	_cleanup_free_ char *service = challenge_param(challenge, "service");
	_cleanup_free_ char *scope = challenge_param(challenge, "scope");
	_cleanup_free_ char *url = NULL, *def_scope = NULL;
	struct resp r = {.fd = -1, .max = IMG_MAX_JSON};
	long status = 0;
	int k;

	if (!realm || (strncmp(realm, "https://", 8) && strncmp(realm, "http://", 7)))
		return berth_error_set(reterr, EACCES,
				       "the registry asks for authentication without a usable realm");
	if (!scope && asprintf(&def_scope, "repository:%s:pull", g->repo) < 0)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	char *es = curl_easy_escape(g->curl, service ? service : "", 0);
	char *sc = curl_easy_escape(g->curl, scope ? scope : def_scope, 0);
	k = asprintf(&url, "%s%sservice=%s&scope=%s", realm, strchr(realm, '?') ? "&" : "?",
		     es ? es : "", sc ? sc : "");
	curl_free(es);
	curl_free(sc);
	if (k < 0) {
		url = NULL;
		return berth_error_set(reterr, ENOMEM, "out of memory");
	}
	_cleanup_free_ char *saved = TAKE_PTR(g->token);
	k = get_once(g, url, "application/json", &r, &status, reterr);
	if (k >= 0 && status != 200) {
		k = berth_error_set(reterr, EACCES, "token from %s: HTTP %ld", realm, status);
	} else if (k >= 0) {
		json_t *j = NULL;
		if ((k = img_json_load(r.buf ? r.buf : "", r.len, "token response", &j, reterr)) >= 0) {
			const char *t = json_string_value(json_object_get(j, "token"));
			if (!t)
				t = json_string_value(json_object_get(j, "access_token"));
			if (!t || !*t || strpbrk(t, "\r\n"))
				k = berth_error_set(reterr, EACCES, "token from %s: no token", realm);
			else if (!(g->token = strdup(t)))
				k = berth_error_set(reterr, ENOMEM, "out of memory");
			json_decref(j);
		}
	}
	resp_reset(&r);
	return k;
}

/* GET with the anonymous-token dance; fails unless the status is 200. */
static int get(struct reg *g, const char *url, const char *accept, struct resp *r,
	       struct berth_error **reterr)
{
	long status = 0;
	int k;

	for (int attempt = 0;; attempt++) {
		off_t start = r->fd >= 0 ? lseek(r->fd, 0, SEEK_CUR) : 0;
		if ((k = get_once(g, url, accept, r, &status, reterr)) < 0)
			return k;
		if (status == 401 && attempt == 0 && r->www_auth &&
		    strncasecmp(r->www_auth, "Bearer ", 7) == 0) {
			_cleanup_free_ char *ch = strdup(r->www_auth);
			if (!ch)
				return berth_error_set(reterr, ENOMEM, "out of memory");
			resp_reset(r);
			if (r->fd >= 0) {
				/* drop what the 401 wrote */
				if (ftruncate(r->fd, start) < 0 || lseek(r->fd, start, SEEK_SET) < 0)
					return berth_error_errno(reterr, -errno, BERTH_ERR_IO,
								 "truncate");
				img_sha256_free(r->h);
				r->h = img_sha256_new();
				r->written = 0;
				if (!r->h)
					return berth_error_set(reterr, ENOMEM, "out of memory");
			}
			if ((k = fetch_token(g, ch, reterr)) < 0)
				return berth_error_wrap(reterr, "GET %s", url);
			continue;
		}
		break;
	}
	if (status == 200)
		return 0;
	_cleanup_free_ char *txt = r->fd < 0 ? error_text(r) : NULL;
	int e = status == 404 ? ENOENT : status == 401 || status == 403 ? EACCES : EIO;
	return berth_error_set(reterr, e, "GET %s: HTTP %ld%s%s", url, status, txt ? ": " : "",
			       txt ? txt : "");
}

static int get_mem(struct reg *g, const char *path, const char *accept, struct resp *r,
		   struct berth_error **reterr)
{
	_cleanup_free_ char *url = NULL;
	if (asprintf(&url, "%s/v2/%s/%s", g->base, g->repo, path) < 0)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	r->fd = -1;
	r->max = IMG_MAX_JSON;
	return get(g, url, accept, r, reterr);
}

static void progress(const struct reg *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void progress(const struct reg *g, const char *fmt, ...)
{
	va_list ap;
	if (g->quiet)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* --- layers --- */

struct pull_build {
	struct reg *g;
	const struct img_manifest *m;
	const char *blobs;
};

static int pull_get_layer(void *ud, size_t i, char **ret_path, struct berth_error **reterr)
{
	struct pull_build *b = ud;
	const struct img_desc *d = &b->m->layers[i];
	char got[IMG_DIGEST_LEN + 1];
	_cleanup_free_ char *path = NULL, *url = NULL;
	struct resp r = {.fd = -1};
	int k;

	if (asprintf(&path, "%s/%s", b->blobs, d->digest + 7) < 0 ||
	    asprintf(&url, "%s/v2/%s/blobs/%s", b->g->base, b->g->repo, d->digest) < 0)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	r.fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (r.fd < 0)
		return berth_error_errno(reterr, -errno, BERTH_ERR_IO, "create %s", path);
	r.h = img_sha256_new();
	r.max_file = d->size;
	if (!r.h) {
		(void)close(r.fd);
		return berth_error_set(reterr, ENOMEM, "out of memory");
	}
	k = get(b->g, url, NULL, &r, reterr);
	(void)close(r.fd);
	r.fd = -1;
	if (k >= 0 && r.written != d->size)
		k = berth_error_set(reterr, EBADMSG, "blob %s: %llu bytes, the descriptor says %llu",
				    d->digest, r.written, d->size);
	if (k >= 0) {
		img_sha256_final(r.h, got);
		r.h = NULL;
		if (strcmp(got, d->digest) != 0)
			k = berth_error_set(reterr, EBADMSG,
					    "blob %s: digest mismatch: the content has digest %s",
					    d->digest, got);
	}
	img_sha256_free(r.h);
	resp_reset(&r);
	if (k < 0) {
		(void)unlink(path);
		return k;
	}
	progress(b->g, "Copying blob %.12s done", d->digest + 7);
	*ret_path = TAKE_PTR(path);
	return 0;
}

static void pull_put_layer(void *ud, size_t i, const char *path)
{
	(void)unlink(path);
}

/* Choose https, or with tls_verify off https without checks falling back to http. */
static int pick_scheme(struct reg *g, const char *host, struct berth_error **reterr)
{
	if (asprintf(&g->base, "https://%s", host) < 0)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	if (g->tls_verify)
		return 0;
	struct resp r = {.fd = -1, .max = PULL_MAX_ERROR_BODY};
	_cleanup_free_ char *url = NULL;
	long status = 0;
	struct berth_error *e = NULL;
	int k = asprintf(&url, "%s/v2/", g->base) < 0 ? -ENOMEM : 0;
	if (k == 0)
		k = get_once(g, url, NULL, &r, &status, &e);
	resp_reset(&r);
	if (k >= 0)
		return 0;
	log_debug("https://%s: %s; trying http", host, e && e->msg ? e->msg : "failed");
	berth_error_free(e);
	free(g->base);
	if (asprintf(&g->base, "http://%s", host) < 0) {
		g->base = NULL;
		return berth_error_set(reterr, ENOMEM, "out of memory");
	}
	return 0;
}

static int pull(struct eng_ctx *ctx, const char *refs, const struct eng_pull_opts *opts,
		char **ret_id, struct berth_error **reterr)
{
	static const char accept[] = MT_OCI_INDEX ", " MT_OCI_MANIFEST ", " MT_DOCKER_LIST
		", " MT_DOCKER_MANIFEST;
	struct img_ref ref = {0};
	struct reg g = {.tls_verify = opts->tls_verify, .quiet = opts->quiet};
	struct resp r = {.fd = -1};
	struct img_tmp t = {.lock_fd = -1, .dir_fd = -1};
	struct img_manifest m = {0};
	_cleanup_free_ char *name = NULL, *blobs = NULL, *mbuf = NULL, *cbuf = NULL;
	_cleanup_free_ char *mpath = NULL, *cpath = NULL;
	json_t *doc = NULL;
	char top_digest[IMG_DIGEST_LEN + 1], got[IMG_DIGEST_LEN + 1];
	size_t mlen = 0, clen = 0;
	int k;

	if ((k = img_ref_parse(refs, "docker.io", &ref, reterr)) < 0)
		return k;
	if (!(name = img_ref_name(&ref)) || !(g.curl = curl_easy_init())) {
		k = berth_error_set(reterr, ENOMEM, "out of memory");
		goto out;
	}
	g.repo = ref.repo;
	g.display = name;
	const char *host = strcmp(ref.registry, "docker.io") == 0 ? "registry-1.docker.io"
								   : ref.registry;
	progress(&g, "Trying to pull %s...", name);
	if ((k = pick_scheme(&g, host, reterr)) < 0)
		goto out;

	/* the manifest, through indexes */
	if (asprintf(&mpath, "manifests/%s", ref.digest ? ref.digest : ref.tag) < 0) {
		mpath = NULL;
		k = berth_error_set(reterr, ENOMEM, "out of memory");
		goto out;
	}
	const char *want = ref.digest;
	unsigned long long want_size = 0;
	char sel_digest[IMG_DIGEST_LEN + 1];
	for (int depth = 0;; depth++) {
		enum img_doc_kind kind;
		if (depth > IMG_MAX_INDEX_DEPTH) {
			k = berth_error_set(reterr, ELOOP, "indexes nested deeper than %d",
					    IMG_MAX_INDEX_DEPTH);
			goto out;
		}
		resp_reset(&r);
		if ((k = get_mem(&g, mpath, accept, &r, reterr)) < 0)
			goto out;
		img_sha256_buf(r.buf ? r.buf : "", r.len, got);
		if (depth == 0)
			memcpy(top_digest, got, sizeof(got));
		if (want && strcmp(got, want) != 0) {
			k = berth_error_set(reterr, EBADMSG,
					    "manifest %s: digest mismatch: the content has digest %s",
					    want, got);
			goto out;
		}
		if (depth > 0 && r.len != want_size) {
			k = berth_error_set(reterr, EBADMSG,
					    "manifest %s: %zu bytes, the index says %llu", want,
					    r.len, want_size);
			goto out;
		}
		json_decref(doc);
		doc = NULL;
		if ((k = img_json_load(r.buf ? r.buf : "", r.len, "manifest", &doc, reterr)) < 0 ||
		    (k = img_doc_kind(doc, r.content_type, &kind, reterr)) < 0)
			goto out;
		if (kind == IMG_DOC_MANIFEST)
			break;
		struct img_index x = {0};
		size_t sel;
		if ((k = img_index_parse(doc, &x, reterr)) < 0 ||
		    (k = img_index_select(&x, NULL, &sel, reterr)) < 0) {
			img_index_done(&x);
			goto out;
		}
		memcpy(sel_digest, x.m[sel].digest, sizeof(sel_digest));
		want = sel_digest;
		want_size = x.m[sel].size;
		img_index_done(&x);
		free(mpath);
		if (asprintf(&mpath, "manifests/%s", want) < 0) {
			mpath = NULL;
			k = berth_error_set(reterr, ENOMEM, "out of memory");
			goto out;
		}
	}
	if ((k = img_manifest_parse(doc, &m, reterr)) < 0)
		goto out;
	mbuf = TAKE_PTR(r.buf);
	mlen = r.len;
	(void)mlen;
	progress(&g, "Getting image source signatures");

	/* the config */
	if (m.config.size > IMG_MAX_JSON) {
		k = berth_error_set(reterr, EFBIG, "config %s: larger than %u bytes",
				    m.config.digest, IMG_MAX_JSON);
		goto out;
	}
	if (asprintf(&cpath, "blobs/%s", m.config.digest) < 0) {
		cpath = NULL;
		k = berth_error_set(reterr, ENOMEM, "out of memory");
		goto out;
	}
	resp_reset(&r);
	if ((k = get_mem(&g, cpath, NULL, &r, reterr)) < 0)
		goto out;
	img_sha256_buf(r.buf ? r.buf : "", r.len, got);
	if (strcmp(got, m.config.digest) != 0 || r.len != m.config.size) {
		k = berth_error_set(reterr, EBADMSG,
				    "config %s: digest mismatch: the content (%zu bytes) has digest %s",
				    m.config.digest, r.len, got);
		goto out;
	}
	cbuf = TAKE_PTR(r.buf);
	clen = r.len;
	if (!cbuf && !(cbuf = strdup(""))) {
		k = berth_error_set(reterr, ENOMEM, "out of memory");
		goto out;
	}

	if ((k = img_tmp_create(ctx, &t, reterr)) < 0)
		goto out;
	if (asprintf(&blobs, "%s/blobs", t.path) < 0 || mkdir(blobs, 0700) < 0) {
		k = berth_error_errno(reterr, blobs ? -errno : -ENOMEM, BERTH_ERR_IO, "create blobs");
		goto out;
	}
	struct pull_build pb = {.g = &g, .m = &m, .blobs = blobs};
	struct img_build b = {
		.manifest = doc,
		.m = &m,
		.config_blob = cbuf,
		.config_len = clen,
		.digest = top_digest,
		.names = &name,
		.n_names = 1,
		.source = "pull",
		.get_layer = pull_get_layer,
		.put_layer = pull_put_layer,
		.ud = &pb,
	};
	if ((k = img_build(ctx, &t, &b, ret_id, reterr)) < 0)
		goto out;
	progress(&g, "Copying config %.12s done", m.config.digest + 7);
	progress(&g, "Writing manifest to image destination");
	k = 0;
out:
	img_tmp_done(&t);
	img_manifest_done(&m);
	json_decref(doc);
	resp_reset(&r);
	if (g.curl)
		curl_easy_cleanup(g.curl);
	free(g.base);
	free(g.token);
	img_ref_done(&ref);
	return k;
}

int eng_image_pull(struct eng_ctx *ctx, const char *ref, const struct eng_pull_opts *opts,
		   char **ret_id, struct berth_error **reterr)
{
	static bool inited;
	if (!inited) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return berth_error_set(reterr, ENOMEM, "cannot initialise libcurl");
		inited = true;
	}
	int r = pull(ctx, ref, opts, ret_id, reterr);
	if (r < 0)
		return berth_error_wrap(reterr, "pull %s", ref);
	return 0;
}
