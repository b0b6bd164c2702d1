// SPDX-License-Identifier: Apache-2.0
/*
 * The aardvark-dns config file format: reader (berth-dns) and writer
 * (berth-net). See aardvark.h for the format.
 *
 * Reader. The input is untrusted bytes: it is never NUL-terminated in place
 * and never modified. Lines are split on '\n' and empty lines skipped; fields
 * are split on single spaces so that an empty field (a missing v4 or v6 list)
 * survives. A byte string is copied into a bounded stack buffer before it is
 * handed to inet_pton. Any NUL byte inside a line makes that line malformed.
 * A bad first line rejects the file; a bad container line is skipped and
 * counted. Every count and length is bounded by the ADV_MAX_* limits.
 *
 * Writer. Files are edited by reading the current content (bounded), building
 * the new content in memory and writing it to a temporary file in the same
 * directory (".<name>.<random>", which the reader side skips because network
 * names never start with a dot), then renameat() over the old file.
 */
#include "dnsconf/aardvark.h"

#include "basic/cleanup.h"
#include "basic/fileio.h"
#include "basic/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct span {
	const char *p;
	size_t n;
};

static char ascii_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Take the next field up to `sep` (or the end) from *rest; false when nothing is left. */
static bool span_next(struct span *rest, char sep, struct span *field, bool *have)
{
	if (!*have)
		return false;
	const char *e = memchr(rest->p, sep, rest->n);
	if (!e) {
		*field = *rest;
		rest->p += rest->n;
		rest->n = 0;
		*have = false;
		return true;
	}
	field->p = rest->p;
	field->n = (size_t)(e - rest->p);
	rest->n -= field->n + 1;
	rest->p = e + 1;
	return true;
}

static char *span_dup_lower(struct span s)
{
	char *r = malloc(s.n + 1);
	if (!r)
		return NULL;
	for (size_t i = 0; i < s.n; i++)
		r[i] = ascii_lower(s.p[i]);
	r[s.n] = '\0';
	return r;
}

/* Parse one address; `family` 0 accepts both. */
static int span_ip(struct span s, int family, struct berth_ip *ret)
{
	char buf[BERTH_IP_STRLEN];

	if (s.n == 0 || s.n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s.p, s.n);
	buf[s.n] = '\0';
	if (berth_ip_parse(buf, ret) < 0)
		return -EINVAL;
	if (family && ret->family != family)
		return -EINVAL;
	return 0;
}

/*
 * Parse a comma separated address list. An empty field is an empty list when
 * allow_empty, an error otherwise. On error *ret_bad is the offending item.
 */
static int span_ip_list(struct span s, int family, bool allow_empty, struct berth_ip **ret,
			size_t *ret_n, struct span *ret_bad)
{
	struct berth_ip tmp[ADV_MAX_IPS];
	size_t n = 0;
	struct span item;
	bool have = true;

	if (s.n == 0) {
		*ret_bad = s;
		if (!allow_empty)
			return -EINVAL;
		*ret = NULL;
		*ret_n = 0;
		return 0;
	}
	while (span_next(&s, ',', &item, &have)) {
		if (n == ADV_MAX_IPS) {
			*ret_bad = item;
			return -E2BIG;
		}
		if (span_ip(item, family, &tmp[n]) < 0) {
			*ret_bad = item;
			return -EINVAL;
		}
		n++;
	}
	struct berth_ip *a = malloc(n * sizeof(*a));
	if (!a)
		return -ENOMEM;
	memcpy(a, tmp, n * sizeof(*a));
	*ret = a;
	*ret_n = n;
	return 0;
}

static void container_done(struct adv_container *c)
{
	free(c->id);
	free(c->v4);
	free(c->v6);
	for (size_t i = 0; i < c->n_names; i++)
		free(c->names[i]);
	free(c->names);
	free(c->dns);
	memset(c, 0, sizeof(*c));
}

void adv_network_free(struct adv_network *n)
{
	if (!n)
		return;
	free(n->name);
	free(n->listen);
	free(n->dns);
	for (size_t i = 0; i < n->n_containers; i++)
		container_done(&n->containers[i]);
	free(n->containers);
	free(n);
}

DEFINE_TRIVIAL_CLEANUP_FUNC(struct adv_network *, adv_network_free)

/* -EINVAL: the line is malformed (skip it); -ENOMEM: give up. */
static int parse_container(struct span line, struct adv_container *c)
{
	struct span f[5], rest = line, bad;
	size_t nf = 0;
	bool have = true;
	int r;

	while (nf < ARRAY_SIZE(f) && span_next(&rest, ' ', &f[nf], &have))
		nf++;
	if (have || nf < 4)
		return -EINVAL; /* more than 5 fields, or fewer than 4 */
	if (f[0].n == 0 || f[3].n == 0)
		return -EINVAL;

	memset(c, 0, sizeof(*c));
	r = span_ip_list(f[1], AF_INET, true, &c->v4, &c->n_v4, &bad);
	if (r < 0)
		goto fail;
	r = span_ip_list(f[2], AF_INET6, true, &c->v6, &c->n_v6, &bad);
	if (r < 0)
		goto fail;
	if (nf == 5) {
		r = span_ip_list(f[4], 0, true, &c->dns, &c->n_dns, &bad);
		if (r < 0)
			goto fail;
	}

	/* Names: empty items are dropped, at least one must remain. */
	struct span names = f[3], item;
	size_t cap = 0;
	have = true;
	while (span_next(&names, ',', &item, &have)) {
		if (item.n == 0)
			continue;
		if (item.n > ADV_MAX_NAME || c->n_names == ADV_MAX_NAMES) {
			r = -EINVAL;
			goto fail;
		}
		if (c->n_names == cap) {
			size_t ncap = cap ? cap * 2 : 4;
			char **nn = realloc(c->names, ncap * sizeof(*nn));
			if (!nn) {
				r = -ENOMEM;
				goto fail;
			}
			c->names = nn;
			cap = ncap;
		}
		if (!(c->names[c->n_names] = span_dup_lower(item))) {
			r = -ENOMEM;
			goto fail;
		}
		c->n_names++;
	}
	if (c->n_names == 0) {
		r = -EINVAL;
		goto fail;
	}
	if (!(c->id = span_dup_lower(f[0]))) {
		r = -ENOMEM;
		goto fail;
	}
	return 0;
fail:
	container_done(c);
	return r == -E2BIG ? -EINVAL : r;
}

static void set_err(char **ret_err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_err(char **ret_err, const char *fmt, ...)
{
	va_list ap;

	if (!ret_err)
		return;
	va_start(ap, fmt);
	if (vasprintf(ret_err, fmt, ap) < 0)
		*ret_err = NULL;
	va_end(ap);
}

/* Printable, bounded copy of untrusted bytes for an error message. */
static void span_printable(struct span s, char *buf, size_t size)
{
	size_t j = 0;
	for (size_t i = 0; i < s.n && j + 1 < size; i++)
		buf[j++] = (s.p[i] >= 0x20 && s.p[i] < 0x7f) ? s.p[i] : '?';
	buf[j] = '\0';
}

static int parse_header(struct span line, struct adv_network *n, char **ret_err)
{
	struct span f[2], rest = line, bad = { 0 };
	size_t nf = 0;
	bool have = true;
	char shown[64];
	int r;

	while (nf < ARRAY_SIZE(f) && span_next(&rest, ' ', &f[nf], &have))
		nf++;
	/* Fields after the second are ignored, as aardvark-dns does. */
	r = span_ip_list(f[0], 0, false, &n->listen, &n->n_listen, &bad);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		span_printable(bad, shown, sizeof(shown));
		set_err(ret_err, "line 1: error parsing ip address '%s'", shown);
		return -EINVAL;
	}
	if (nf == 2) {
		r = span_ip_list(f[1], 0, true, &n->dns, &n->n_dns, &bad);
		if (r == -ENOMEM)
			return r;
		if (r < 0) {
			span_printable(bad, shown, sizeof(shown));
			set_err(ret_err, "line 1: error parsing network dns address '%s'", shown);
			return -EINVAL;
		}
	}
	return 0;
}

int adv_parse(const char *filename, const char *buf, size_t len, struct adv_network **ret,
	      size_t *ret_skipped, char **ret_err)
{
	_cleanup_(adv_network_freep) struct adv_network *n = NULL;
	size_t skipped = 0, cap = 0, lineno = 0, fnlen;
	struct span rest = { buf, len }, line;
	bool have = true, first = true;
	int r;

	if (ret_err)
		*ret_err = NULL;
	if (!filename || !ret || (!buf && len))
		return -EINVAL;
	if (len > ADV_MAX_FILE) {
		set_err(ret_err, "file larger than %u bytes", ADV_MAX_FILE);
		return -EFBIG;
	}
	fnlen = strlen(filename);
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	size_t sl = strlen(ADV_INTERNAL_SUFFIX);
	if (fnlen >= sl && memcmp(filename + fnlen - sl, ADV_INTERNAL_SUFFIX, sl) == 0) {
		n->internal = true;
		fnlen -= sl;
	}
	if (fnlen == 0) {
		set_err(ret_err, "empty network name");
		return -EINVAL;
	}
	n->name = strndup(filename, fnlen);
	if (!n->name)
		return -ENOMEM;

	if (len == 0)
		rest.p = "";
	while (span_next(&rest, '\n', &line, &have)) {
		lineno++;
		if (line.n == 0)
			continue;
		bool has_nul = memchr(line.p, '\0', line.n) != NULL;
		if (first) {
			first = false;
			if (has_nul) {
				set_err(ret_err, "line %zu: NUL byte", lineno);
				return -EINVAL;
			}
			r = parse_header(line, n, ret_err);
			if (r < 0)
				return r;
			continue;
		}
		if (has_nul) {
			skipped++;
			continue;
		}
		if (n->n_containers == cap) {
			if (cap >= ADV_MAX_CONTAINERS) {
				set_err(ret_err, "line %zu: more than %u containers", lineno,
					ADV_MAX_CONTAINERS);
				return -E2BIG;
			}
			size_t ncap = cap ? cap * 2 : 8;
			if (ncap > ADV_MAX_CONTAINERS)
				ncap = ADV_MAX_CONTAINERS;
			struct adv_container *nc = realloc(n->containers, ncap * sizeof(*nc));
			if (!nc)
				return -ENOMEM;
			n->containers = nc;
			cap = ncap;
		}
		r = parse_container(line, &n->containers[n->n_containers]);
		if (r == -ENOMEM)
			return r;
		if (r < 0) {
			log_debug("%s: line %zu: improperly formatted, ignoring", filename, lineno);
			skipped++;
			continue;
		}
		n->n_containers++;
	}
	if (first) {
		set_err(ret_err, "no listen address");
		return -EINVAL;
	}
	if (ret_skipped)
		*ret_skipped = skipped;
	*ret = TAKE_PTR(n);
	return 0;
}

/* ---- writer ---- */

struct sbuf {
	char *p;
	size_t len, cap;
	bool oom; /* allocation failed or too big: nothing more is added */
	bool big; /* the content would exceed ADV_MAX_FILE */
};

static int sb_error(const struct sbuf *b)
{
	return b->big ? -EFBIG : -ENOMEM;
}

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (n > ADV_MAX_FILE || b->len + n > ADV_MAX_FILE) {
		b->oom = b->big = true;
		return;
	}
	if (b->len + n + 1 > b->cap) {
		size_t ncap = b->cap ? b->cap : 128;
		while (ncap < b->len + n + 1)
			ncap *= 2;
		char *np = realloc(b->p, ncap);
		if (!np) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void sb_ips(struct sbuf *b, const struct berth_ip *ips, size_t n)
{
	char tmp[BERTH_IP_STRLEN];
	for (size_t i = 0; i < n; i++) {
		if (i)
			sb_add(b, ",", 1);
		sb_str(b, berth_ip_fmt(&ips[i], tmp));
	}
}

static char *sb_take(struct sbuf *b)
{
	if (b->oom || !b->p) {
		free(b->p);
		return NULL;
	}
	return b->p;
}

char *adv_format_header(const struct berth_ip *listen, size_t n_listen, const struct berth_ip *dns,
			size_t n_dns)
{
	struct sbuf b = { 0 };

	sb_ips(&b, listen, n_listen);
	if (n_dns) {
		sb_add(&b, " ", 1);
		sb_ips(&b, dns, n_dns);
	}
	sb_add(&b, "\n", 1);
	return sb_take(&b);
}

char *adv_format_container(const char *id, const struct berth_ip *v4, size_t n_v4,
			   const struct berth_ip *v6, size_t n_v6, const char *const *names,
			   size_t n_names, const struct berth_ip *dns, size_t n_dns)
{
	struct sbuf b = { 0 };

	if (!id)
		return NULL;
	sb_str(&b, id);
	sb_add(&b, " ", 1);
	sb_ips(&b, v4, n_v4);
	sb_add(&b, " ", 1);
	sb_ips(&b, v6, n_v6);
	sb_add(&b, " ", 1);
	for (size_t i = 0; i < n_names; i++) {
		if (i)
			sb_add(&b, ",", 1);
		sb_str(&b, names[i]);
	}
	if (n_dns) {
		sb_add(&b, " ", 1);
		sb_ips(&b, dns, n_dns);
	}
	sb_add(&b, "\n", 1);
	return sb_take(&b);
}

static bool filename_ok(const char *f)
{
	return f && *f && f[0] != '.' && !strchr(f, '/') && strlen(f) < 256;
}

/* Read the file (bounded). -ENOENT when it does not exist. */
static int read_at(int dirfd, const char *filename, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = openat(dirfd, filename, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	struct stat st;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if (st.st_size > (off_t)ADV_MAX_FILE)
		return -EFBIG;
	return read_fd_limited(fd, ADV_MAX_FILE, ret, ret_len);
}

/* Replace filename atomically with content (mode 0644). */
static int replace_at(int dirfd, const char *filename, const char *content, size_t len)
{
	int r = write_file_atomic_at(dirfd, filename, content, len, 0644);
	if (r < 0)
		log_debug("aardvark: writing '%s' failed: %s", filename, strerror(-r));
	return r;
}

static void sb_line(struct sbuf *b, const char *s)
{
	size_t n = strlen(s);
	sb_add(b, s, n);
	if (n == 0 || s[n - 1] != '\n')
		sb_add(b, "\n", 1);
}

int adv_file_add(int dirfd, const char *filename, const char *header, const char *line)
{
	_cleanup_free_ char *old = NULL;
	struct sbuf b = { 0 };
	size_t len = 0;
	int r;

	if (!filename_ok(filename) || !header || !line || !*header || !*line)
		return -EINVAL;
	r = read_at(dirfd, filename, &old, &len);
	if (r == -ENOENT) {
		sb_line(&b, header);
	} else if (r < 0) {
		return r;
	} else {
		sb_add(&b, old, len);
		if (len && old[len - 1] != '\n')
			sb_add(&b, "\n", 1);
		if (len == 0)
			sb_line(&b, header);
	}
	sb_line(&b, line);
	if (b.oom) {
		free(b.p);
		return sb_error(&b);
	}
	r = replace_at(dirfd, filename, b.p, b.len);
	free(b.p);
	return r;
}

int adv_file_remove(int dirfd, const char *filename, const char *container_id)
{
	_cleanup_free_ char *old = NULL;
	struct sbuf b = { 0 };
	size_t len = 0, kept = 0;
	int r;

	if (!filename_ok(filename) || !container_id || !*container_id)
		return -EINVAL;
	r = read_at(dirfd, filename, &old, &len);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;

	struct span rest = { old, len }, line;
	bool have = len > 0, first = true;
	size_t idlen = strlen(container_id);
	while (span_next(&rest, '\n', &line, &have)) {
		if (first) {
			first = false;
			sb_add(&b, line.p, line.n);
			sb_add(&b, "\n", 1);
			continue;
		}
		if (line.n == 0)
			continue;
		/* The id is the line's first field, matched whole: a short id must
		 * not take the lines of containers whose id it begins (or is part of). */
		size_t f = 0;
		while (f < line.n && line.p[f] != ' ' && line.p[f] != '\t')
			f++;
		if (f == idlen && memcmp(line.p, container_id, idlen) == 0)
			continue;
		sb_add(&b, line.p, line.n);
		sb_add(&b, "\n", 1);
		kept++;
	}
	if (kept == 0) {
		free(b.p);
		if (unlinkat(dirfd, filename, 0) < 0 && errno != ENOENT)
			return -errno;
		return 1;
	}
	if (b.oom) {
		free(b.p);
		return sb_error(&b);
	}
	r = replace_at(dirfd, filename, b.p, b.len);
	free(b.p);
	return r < 0 ? r : 0;
}

int adv_file_set_dns(int dirfd, const char *filename, const struct berth_ip *dns, size_t n_dns)
{
	_cleanup_free_ char *old = NULL;
	struct sbuf b = { 0 };
	size_t len = 0;
	int r;

	if (!filename_ok(filename) || (n_dns && !dns))
		return -EINVAL;
	r = read_at(dirfd, filename, &old, &len);
	if (r < 0)
		return r;

	const char *nl = memchr(old, '\n', len);
	size_t hlen = nl ? (size_t)(nl - old) : len;
	const char *sp = memchr(old, ' ', hlen);
	size_t f1 = sp ? (size_t)(sp - old) : hlen;
	sb_add(&b, old, f1);
	if (n_dns) {
		sb_add(&b, " ", 1);
		sb_ips(&b, dns, n_dns);
	}
	sb_add(&b, "\n", 1);
	if (nl)
		sb_add(&b, nl + 1, len - hlen - 1);
	if (b.oom) {
		free(b.p);
		return sb_error(&b);
	}
	r = replace_at(dirfd, filename, b.p, b.len);
	free(b.p);
	return r;
}
