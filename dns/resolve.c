// SPDX-License-Identifier: Apache-2.0
/*
 * berth-dns name tables and answer logic (see resolve.h).
 *
 * Tables. Built once from the parsed network files, which the tables keep and
 * point into (names, ids and upstream lists are not copied again):
 *
 *   nets[]      name, internal, upstreams (empty for internal networks)
 *   names[]     one per distinct lowercased name: its unique addresses uips[],
 *               each with the networks (net_pool) that hold it; a name present
 *               without any address gets one family-0 entry so that it "exists"
 *   ips[]       one per distinct address: its (network, line) entries for PTR,
 *               the owning container, and that container's own upstreams
 *   ctrs[]      one per container id: its networks (net_pool), whether all are
 *               internal, and the union of their upstreams (ip_pool)
 *
 * Two open-addressing hash tables (FNV-1a, linear probing, load <= 1/2) map
 * a name and an address to its index; a third maps network names. Every
 * lookup on the answer path is O(1) on average plus a scan of the short
 * per-name and per-container lists. The answer path allocates nothing: it
 * converts the question to text in a stack buffer and writes records straight
 * into the caller's buffer.
 */
#include "resolve.h"
#include "packet.h"

#include "basic/cleanup.h"
#include "basic/hash.h"
#include "basic/fileio.h"
#include "basic/log.h"
#include "dnsconf/aardvark.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DNS_MAX_FILES 4096            /* network files read from the directory */
#define DNS_MAX_TOTAL (64u << 20)     /* bytes read from the directory in total */

struct hslot {
	uint32_t hash;
	uint32_t idx1; /* index + 1; 0 = empty */
};

struct htab {
	struct hslot *s;
	uint32_t mask;
};

struct dns_net {
	const char *name;
	size_t name_len;
	bool internal;
	const struct berth_ip *dns; /* network upstreams; NULL/0 for internal */
	size_t n_dns;
};

struct dns_name {
	const char *key;
	uint32_t klen;
	uint32_t first_uip, n_uip;
};

struct dns_uip {
	struct berth_ip ip; /* family 0: the name exists there without an address */
	uint32_t first_net, n_net; /* into net_pool */
};

struct dns_ipent {
	uint32_t net;
	const struct adv_container *line;
};

struct dns_ipinfo {
	struct berth_ip ip;
	uint32_t first_ent, n_ent; /* into ipents */
	uint32_t ctr;
	const struct berth_ip *own_dns; /* the container's own servers (field 5) */
	size_t n_own_dns;
};

struct dns_ctr {
	uint32_t first_net, n_net; /* into net_pool */
	bool all_internal;
	uint32_t first_up, n_up; /* into up_pool */
};

struct dns_tables {
	struct adv_network **parsed;
	size_t n_parsed;

	struct dns_net *nets;
	size_t n_nets;
	struct htab net_index;

	struct dns_name *names;
	size_t n_names;
	struct htab name_index;
	struct dns_uip *uips;
	size_t n_uips;
	uint32_t *net_pool;
	size_t n_net_pool;

	struct dns_ipinfo *ips;
	size_t n_ips;
	struct htab ip_index;
	struct dns_ipent *ipents;
	size_t n_ipents;

	struct dns_ctr *ctrs;
	size_t n_ctrs;
	struct berth_ip *up_pool;
	size_t n_up_pool;

	struct dns_listener *listeners;
	size_t n_listeners;

	struct berth_ip resolv[DNS_MAX_UPSTREAMS];
	uint32_t resolv_scope[DNS_MAX_UPSTREAMS]; /* zones of link-local servers */
	bool resolv_scoped;                       /* any of them non-zero */
	size_t n_resolv;
};

/* ---- hashing ---- */

static uint32_t fnv1a(const void *p, size_t n)
{
	return berth_fnv1a32(p, n);
}

static uint32_t ip_hash(const struct berth_ip *ip)
{
	uint32_t h = fnv1a(ip->b, berth_ip_len(ip->family));
	return h ^ (uint32_t)ip->family;
}

static bool ip_same(const struct berth_ip *a, const struct berth_ip *b)
{
	return a->family == b->family && memcmp(a->b, b->b, berth_ip_len(a->family)) == 0;
}

static int htab_init(struct htab *h, size_t n)
{
	size_t cap = 8;
	while (cap < 2 * n)
		cap *= 2;
	if (cap > UINT32_MAX / 2)
		return -E2BIG;
	h->s = calloc(cap, sizeof(*h->s));
	if (!h->s)
		return -ENOMEM;
	h->mask = (uint32_t)cap - 1;
	return 0;
}

#define HTAB_FIND(h, hv, EQ)                                                                       \
	({                                                                                         \
		uint32_t _i = (hv) & (h)->mask, _r = UINT32_MAX;                                   \
		while ((h)->s[_i].idx1) {                                                          \
			uint32_t idx = (h)->s[_i].idx1 - 1;                                        \
			if ((h)->s[_i].hash == (hv) && (EQ)) {                                     \
				_r = idx;                                                          \
				break;                                                             \
			}                                                                          \
			_i = (_i + 1) & (h)->mask;                                                 \
		}                                                                                  \
		_r;                                                                                \
	})

/* Insert (the key must be absent); the table never fills (load <= 1/2). */
static void htab_put(struct htab *h, uint32_t hv, uint32_t idx)
{
	uint32_t i = hv & h->mask;
	while (h->s[i].idx1)
		i = (i + 1) & h->mask;
	h->s[i].hash = hv;
	h->s[i].idx1 = idx + 1;
}

static uint32_t name_find(const struct dns_tables *t, const char *s, size_t n)
{
	uint32_t hv = fnv1a(s, n);
	return HTAB_FIND(&t->name_index, hv,
			 t->names[idx].klen == n && memcmp(t->names[idx].key, s, n) == 0);
}

static uint32_t net_find(const struct dns_tables *t, const char *s)
{
	size_t n = strlen(s);
	uint32_t hv = fnv1a(s, n);
	return HTAB_FIND(&t->net_index, hv,
			 t->nets[idx].name_len == n && memcmp(t->nets[idx].name, s, n) == 0);
}

static uint32_t ip_find(const struct dns_tables *t, const struct berth_ip *ip)
{
	uint32_t hv = ip_hash(ip);
	return HTAB_FIND(&t->ip_index, hv, ip_same(&t->ips[idx].ip, ip));
}

/* ---- building ---- */

static int grow(void *pp, size_t *cap, size_t need, size_t elem)
{
	void **p = pp;
	if (need <= *cap)
		return 0;
	size_t ncap = *cap ? *cap : 16;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2 / elem)
			return -ENOMEM;
		ncap *= 2;
	}
	void *np = realloc(*p, ncap * elem);
	if (!np)
		return -ENOMEM;
	*p = np;
	*cap = ncap;
	return 0;
}

void dns_tables_free(struct dns_tables *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n_parsed; i++)
		adv_network_free(t->parsed[i]);
	free(t->parsed);
	free(t->nets);
	free(t->net_index.s);
	free(t->names);
	free(t->name_index.s);
	free(t->uips);
	free(t->net_pool);
	free(t->ips);
	free(t->ip_index.s);
	free(t->ipents);
	free(t->ctrs);
	free(t->up_pool);
	free(t->listeners);
	free(t);
}

DEFINE_TRIVIAL_CLEANUP_FUNC(struct dns_tables *, dns_tables_free)

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Read and parse every network file; the result is sorted by file name. */
static int load_dir(const char *config_dir, struct dns_tables *t)
{
	char **files = NULL;
	size_t n_files = 0, cap_files = 0, total = 0, cap_parsed = 0;
	int r = 0;

	DIR *d = opendir(config_dir);
	if (!d)
		return -errno;
	int dfd = dirfd(d);
	struct dirent *de;
	errno = 0;
	while ((de = readdir(d))) {
		/* Dot files: ".", "..", and the writer's temporary files. */
		if (de->d_name[0] == '.' || streq(de->d_name, ADV_PID_FILE))
			continue;
		if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN)
			continue;
		if (n_files == DNS_MAX_FILES) {
			log_warn("more than %d files in '%s', ignoring the rest", DNS_MAX_FILES,
				 config_dir);
			break;
		}
		if ((r = grow(&files, &cap_files, n_files + 1, sizeof(*files))) < 0)
			goto out;
		if (!(files[n_files] = strdup(de->d_name))) {
			r = -ENOMEM;
			goto out;
		}
		n_files++;
	}
	if (n_files)
		qsort(files, n_files, sizeof(*files), cmp_str);

	for (size_t i = 0; i < n_files; i++) {
		_cleanup_close_ int fd = openat(dfd, files[i],
						O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
		_cleanup_free_ char *buf = NULL;
		_cleanup_free_ char *err = NULL;
		struct adv_network *net = NULL;
		struct stat st;
		size_t len = 0, skipped = 0;

		if (fd < 0) {
			if (errno != ENOENT) /* a file that vanished is ignored silently */
				log_warn("cannot open '%s/%s': %s, ignoring", config_dir, files[i],
					 strerror(errno));
			continue;
		}
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		r = read_fd_limited(fd, ADV_MAX_FILE, &buf, &len);
		if (r < 0) {
			log_warn("cannot read '%s/%s': %s, ignoring", config_dir, files[i],
				 strerror(-r));
			r = 0;
			continue;
		}
		if (len > DNS_MAX_TOTAL - total) {
			log_warn("config directory '%s' larger than %u bytes, ignoring '%s'",
				 config_dir, DNS_MAX_TOTAL, files[i]);
			continue;
		}
		total += len;
		r = adv_parse(files[i], buf, len, &net, &skipped, &err);
		if (r == -ENOMEM)
			goto out;
		if (r < 0) {
			log_warn("failed to parse '%s/%s': %s, ignoring", config_dir, files[i],
				 err ? err : strerror(-r));
			r = 0;
			continue;
		}
		if (skipped)
			log_warn("'%s/%s': %zu improperly formatted line(s), ignoring", config_dir,
				 files[i], skipped);
		bool dup = false;
		for (size_t k = 0; k < t->n_parsed && !dup; k++)
			dup = streq(t->parsed[k]->name, net->name);
		if (dup) {
			log_warn("'%s/%s': network '%s' defined twice, ignoring", config_dir,
				 files[i], net->name);
			adv_network_free(net);
			continue;
		}
		if ((r = grow(&t->parsed, &cap_parsed, t->n_parsed + 1, sizeof(*t->parsed))) < 0) {
			adv_network_free(net);
			goto out;
		}
		t->parsed[t->n_parsed++] = net;
	}
	r = 0;
out:
	free_strv(files, n_files);
	closedir(d);
	return r;
}

struct name_tuple {
	uint32_t name, net, seq;
	struct berth_ip ip;
};

struct ip_tuple {
	uint32_t ip, net, ctr;
	const struct adv_container *line;
};

static int ip_cmp(const struct berth_ip *a, const struct berth_ip *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->b, b->b, berth_ip_len(a->family ? a->family : AF_INET));
}

static int cmp_name_tuple(const void *pa, const void *pb)
{
	const struct name_tuple *a = pa, *b = pb;
	int c = ip_cmp(&a->ip, &b->ip);
	if (c)
		return c;
	if (a->net != b->net)
		return a->net < b->net ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

struct uip_order {
	uint32_t first_seq;
	struct dns_uip u;
};

static int cmp_uip_order(const void *pa, const void *pb)
{
	const struct uip_order *a = pa, *b = pb;
	return a->first_seq < b->first_seq ? -1 : a->first_seq > b->first_seq;
}

/* Stable counting sort of n items of `elem` bytes by key (< n_keys); first[] gets n_keys + 1 offsets. */
static int bucket_sort(const void *items, size_t n, size_t elem, const uint32_t *keys,
		       size_t n_keys, void **ret_sorted, uint32_t **ret_first)
{
	_cleanup_free_ uint32_t *first = calloc(n_keys + 1, sizeof(*first));
	_cleanup_free_ uint32_t *fill = calloc(n_keys + 1, sizeof(*fill));
	_cleanup_free_ uint8_t *out = malloc(n ? n * elem : 1);

	if (!first || !fill || !out)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		first[keys[i] + 1]++;
	for (size_t k = 0; k < n_keys; k++)
		first[k + 1] += first[k];
	memcpy(fill, first, (n_keys + 1) * sizeof(*fill));
	for (size_t i = 0; i < n; i++)
		memcpy(out + (size_t)fill[keys[i]]++ * elem, (const uint8_t *)items + i * elem, elem);
	*ret_sorted = TAKE_PTR(out);
	*ret_first = TAKE_PTR(first);
	return 0;
}

static int pool_net(struct dns_tables *t, size_t *cap, uint32_t net)
{
	int r = grow(&t->net_pool, cap, t->n_net_pool + 1, sizeof(*t->net_pool));
	if (r < 0)
		return r;
	t->net_pool[t->n_net_pool++] = net;
	return 0;
}

static int build_nets(struct dns_tables *t)
{
	int r;

	t->n_nets = t->n_parsed;
	t->nets = calloc(t->n_nets ? t->n_nets : 1, sizeof(*t->nets));
	if (!t->nets)
		return -ENOMEM;
	if ((r = htab_init(&t->net_index, t->n_nets)) < 0)
		return r;
	for (size_t i = 0; i < t->n_nets; i++) {
		const struct adv_network *p = t->parsed[i];
		struct dns_net *n = &t->nets[i];
		n->name = p->name;
		n->name_len = strlen(p->name);
		n->internal = p->internal;
		if (!p->internal) {
			n->dns = p->dns;
			n->n_dns = p->n_dns;
		}
		htab_put(&t->net_index, fnv1a(n->name, n->name_len), (uint32_t)i);
	}
	return 0;
}

/* Containers (by id) and their networks; line_ctr[] gets each line's container. */
static int build_ctrs(struct dns_tables *t, size_t *pool_cap, uint32_t **ret_line_ctr)
{
	size_t n_lines = 0, cap_up = 0;
	for (size_t i = 0; i < t->n_parsed; i++)
		n_lines += t->parsed[i]->n_containers;

	_cleanup_free_ uint32_t *line_ctr = malloc((n_lines ? n_lines : 1) * sizeof(uint32_t));
	_cleanup_free_ uint32_t *line_net = malloc((n_lines ? n_lines : 1) * sizeof(uint32_t));
	_cleanup_free_ const char **ids = malloc((n_lines ? n_lines : 1) * sizeof(char *));
	_cleanup_free_ struct hslot *slots = NULL;
	_cleanup_free_ uint32_t *order = NULL;
	_cleanup_free_ uint32_t *first = NULL;
	struct htab cidx;
	size_t n_ctrs = 0, l = 0;
	int r;

	if (!line_ctr || !line_net || !ids)
		return -ENOMEM;
	if ((r = htab_init(&cidx, n_lines)) < 0)
		return r;
	slots = cidx.s;
	for (size_t i = 0; i < t->n_parsed; i++) {
		const struct adv_network *p = t->parsed[i];
		for (size_t k = 0; k < p->n_containers; k++, l++) {
			const char *id = p->containers[k].id;
			uint32_t hv = fnv1a(id, strlen(id));
			uint32_t c = HTAB_FIND(&cidx, hv, streq(ids[idx], id));
			if (c == UINT32_MAX) {
				c = (uint32_t)n_ctrs++;
				ids[c] = id;
				htab_put(&cidx, hv, c);
			}
			line_ctr[l] = c;
			line_net[l] = (uint32_t)i;
		}
	}
	t->n_ctrs = n_ctrs;
	t->ctrs = calloc(n_ctrs ? n_ctrs : 1, sizeof(*t->ctrs));
	if (!t->ctrs)
		return -ENOMEM;
	if ((r = bucket_sort(line_net, n_lines, sizeof(uint32_t), line_ctr, n_ctrs,
			     (void **)&order, &first)) < 0)
		return r;
	for (size_t c = 0; c < n_ctrs; c++) {
		struct dns_ctr *ct = &t->ctrs[c];
		ct->first_net = (uint32_t)t->n_net_pool;
		ct->all_internal = true;
		ct->first_up = (uint32_t)t->n_up_pool;
		for (uint32_t j = first[c]; j < first[c + 1]; j++) {
			uint32_t net = order[j];
			bool seen = false;
			/* Lines are in network order, so a repeated network is the last one. */
			if (ct->n_net && t->net_pool[t->n_net_pool - 1] == net)
				seen = true;
			if (seen)
				continue;
			if ((r = pool_net(t, pool_cap, net)) < 0)
				return r;
			ct->n_net++;
			const struct dns_net *n = &t->nets[net];
			if (!n->internal)
				ct->all_internal = false;
			for (size_t s = 0; s < n->n_dns; s++) {
				bool dup = false;
				for (uint32_t u = ct->first_up; u < t->n_up_pool && !dup; u++)
					dup = ip_same(&t->up_pool[u], &n->dns[s]);
				if (dup)
					continue;
				if ((r = grow(&t->up_pool, &cap_up, t->n_up_pool + 1,
					      sizeof(*t->up_pool))) < 0)
					return r;
				t->up_pool[t->n_up_pool++] = n->dns[s];
				ct->n_up++;
			}
		}
	}
	*ret_line_ctr = TAKE_PTR(line_ctr);
	return 0;
}

static int add_ip_tuple(struct dns_tables *t, struct ip_tuple *tu, size_t *n_tu,
			const struct berth_ip *ip, uint32_t net, uint32_t ctr,
			const struct adv_container *line)
{
	uint32_t hv = ip_hash(ip);
	uint32_t x = HTAB_FIND(&t->ip_index, hv, ip_same(&t->ips[idx].ip, ip));
	if (x == UINT32_MAX) {
		x = (uint32_t)t->n_ips++;
		memset(&t->ips[x], 0, sizeof(t->ips[x]));
		t->ips[x].ip = *ip;
		htab_put(&t->ip_index, hv, x);
	}
	tu[*n_tu] = (struct ip_tuple){ .ip = x, .net = net, .ctr = ctr, .line = line };
	(*n_tu)++;
	return 0;
}

static int build_ips(struct dns_tables *t, const uint32_t *line_ctr)
{
	size_t n_tu = 0, total = 0, l = 0;
	int r;

	for (size_t i = 0; i < t->n_parsed; i++)
		for (size_t k = 0; k < t->parsed[i]->n_containers; k++)
			total += t->parsed[i]->containers[k].n_v4 + t->parsed[i]->containers[k].n_v6;
	_cleanup_free_ struct ip_tuple *tu = malloc((total ? total : 1) * sizeof(*tu));
	_cleanup_free_ uint32_t *keys = malloc((total ? total : 1) * sizeof(*keys));
	_cleanup_free_ struct ip_tuple *sorted = NULL;
	_cleanup_free_ uint32_t *first = NULL;
	if (!tu || !keys)
		return -ENOMEM;
	t->ips = malloc((total ? total : 1) * sizeof(*t->ips));
	if (!t->ips)
		return -ENOMEM;
	if ((r = htab_init(&t->ip_index, total)) < 0)
		return r;
	for (size_t i = 0; i < t->n_parsed; i++) {
		const struct adv_network *p = t->parsed[i];
		for (size_t k = 0; k < p->n_containers; k++, l++) {
			const struct adv_container *c = &p->containers[k];
			for (size_t a = 0; a < c->n_v4; a++)
				add_ip_tuple(t, tu, &n_tu, &c->v4[a], (uint32_t)i, line_ctr[l], c);
			for (size_t a = 0; a < c->n_v6; a++)
				add_ip_tuple(t, tu, &n_tu, &c->v6[a], (uint32_t)i, line_ctr[l], c);
		}
	}
	for (size_t i = 0; i < n_tu; i++)
		keys[i] = tu[i].ip;
	if ((r = bucket_sort(tu, n_tu, sizeof(*tu), keys, t->n_ips, (void **)&sorted, &first)) < 0)
		return r;
	t->ipents = malloc((n_tu ? n_tu : 1) * sizeof(*t->ipents));
	if (!t->ipents)
		return -ENOMEM;
	t->n_ipents = n_tu;
	for (size_t i = 0; i < n_tu; i++)
		t->ipents[i] = (struct dns_ipent){ .net = sorted[i].net, .line = sorted[i].line };
	for (size_t x = 0; x < t->n_ips; x++) {
		struct dns_ipinfo *info = &t->ips[x];
		info->first_ent = first[x];
		info->n_ent = first[x + 1] - first[x];
		info->ctr = sorted[first[x]].ctr;
		for (uint32_t j = first[x]; j < first[x + 1]; j++) {
			const struct ip_tuple *s = &sorted[j];
			/* Own servers only from lines of non-internal networks. */
			if (s->ctr == info->ctr && !t->nets[s->net].internal && s->line->n_dns) {
				info->own_dns = s->line->dns;
				info->n_own_dns = s->line->n_dns;
				break;
			}
		}
	}
	return 0;
}

static int build_names(struct dns_tables *t, size_t *pool_cap)
{
	size_t total = 0, n_tu = 0, cap_uips = 0;
	uint32_t seq = 0;
	int r;

	for (size_t i = 0; i < t->n_parsed; i++)
		for (size_t k = 0; k < t->parsed[i]->n_containers; k++) {
			const struct adv_container *c = &t->parsed[i]->containers[k];
			size_t n_ip = c->n_v4 + c->n_v6;
			total += c->n_names * (n_ip ? n_ip : 1);
		}
	_cleanup_free_ struct name_tuple *tu = malloc((total ? total : 1) * sizeof(*tu));
	_cleanup_free_ uint32_t *keys = malloc((total ? total : 1) * sizeof(*keys));
	_cleanup_free_ struct name_tuple *sorted = NULL;
	_cleanup_free_ uint32_t *first = NULL;
	_cleanup_free_ struct uip_order *ord = NULL;
	size_t cap_ord = 0;
	if (!tu || !keys)
		return -ENOMEM;
	t->names = malloc((total ? total : 1) * sizeof(*t->names));
	if (!t->names)
		return -ENOMEM;
	if ((r = htab_init(&t->name_index, total)) < 0)
		return r;

	for (size_t i = 0; i < t->n_parsed; i++) {
		const struct adv_network *p = t->parsed[i];
		for (size_t k = 0; k < p->n_containers; k++) {
			const struct adv_container *c = &p->containers[k];
			for (size_t m = 0; m < c->n_names; m++) {
				const char *nm = c->names[m];
				size_t len = strlen(nm);
				uint32_t hv = fnv1a(nm, len);
				uint32_t x = HTAB_FIND(&t->name_index, hv,
						       t->names[idx].klen == len &&
							       memcmp(t->names[idx].key, nm, len) == 0);
				if (x == UINT32_MAX) {
					x = (uint32_t)t->n_names++;
					t->names[x] = (struct dns_name){ .key = nm,
									 .klen = (uint32_t)len };
					htab_put(&t->name_index, hv, x);
				}
				struct name_tuple base = { .name = x, .net = (uint32_t)i };
				if (c->n_v4 + c->n_v6 == 0) {
					base.seq = seq++;
					tu[n_tu++] = base;
				}
				for (size_t a = 0; a < c->n_v4; a++) {
					base.seq = seq++;
					base.ip = c->v4[a];
					tu[n_tu++] = base;
				}
				for (size_t a = 0; a < c->n_v6; a++) {
					base.seq = seq++;
					base.ip = c->v6[a];
					tu[n_tu++] = base;
				}
			}
		}
	}
	for (size_t i = 0; i < n_tu; i++)
		keys[i] = tu[i].name;
	if ((r = bucket_sort(tu, n_tu, sizeof(*tu), keys, t->n_names, (void **)&sorted, &first)) <
	    0)
		return r;

	for (size_t x = 0; x < t->n_names; x++) {
		struct name_tuple *g = sorted + first[x];
		size_t n = first[x + 1] - first[x], n_ord = 0;
		/* Group by address (then network) to deduplicate, then restore file order. */
		qsort(g, n, sizeof(*g), cmp_name_tuple);
		for (size_t j = 0; j < n;) {
			size_t e = j;
			uint32_t min_seq = UINT32_MAX;
			while (e < n && ip_cmp(&g[e].ip, &g[j].ip) == 0)
				e++;
			if ((r = grow(&ord, &cap_ord, n_ord + 1, sizeof(*ord))) < 0)
				return r;
			struct uip_order *o = &ord[n_ord++];
			o->u.ip = g[j].ip;
			o->u.first_net = (uint32_t)t->n_net_pool;
			o->u.n_net = 0;
			for (size_t k = j; k < e; k++) {
				if (g[k].seq < min_seq)
					min_seq = g[k].seq;
				if (k > j && g[k].net == g[k - 1].net)
					continue;
				if ((r = pool_net(t, pool_cap, g[k].net)) < 0)
					return r;
				o->u.n_net++;
			}
			o->first_seq = min_seq;
			j = e;
		}
		qsort(ord, n_ord, sizeof(*ord), cmp_uip_order);
		if ((r = grow(&t->uips, &cap_uips, t->n_uips + n_ord, sizeof(*t->uips))) < 0)
			return r;
		t->names[x].first_uip = (uint32_t)t->n_uips;
		t->names[x].n_uip = (uint32_t)n_ord;
		for (size_t j = 0; j < n_ord; j++)
			t->uips[t->n_uips++] = ord[j].u;
	}
	return 0;
}

static int build_listeners(struct dns_tables *t)
{
	size_t total = 0;
	struct htab seen;
	int r;

	for (size_t i = 0; i < t->n_nets; i++)
		total += t->parsed[i]->n_listen;
	t->listeners = calloc(total ? total : 1, sizeof(*t->listeners));
	if (!t->listeners)
		return -ENOMEM;
	if ((r = htab_init(&seen, total)) < 0)
		return r;
	for (size_t i = 0; i < t->n_nets; i++) {
		const struct adv_network *p = t->parsed[i];
		for (size_t k = 0; k < p->n_listen; k++) {
			const struct berth_ip *ip = &p->listen[k];
			uint32_t hv = ip_hash(ip);
			if (HTAB_FIND(&seen, hv, ip_same(&t->listeners[idx].ip, ip)) != UINT32_MAX)
				continue;
			htab_put(&seen, hv, (uint32_t)t->n_listeners);
			t->listeners[t->n_listeners++] =
				(struct dns_listener){ .ip = *ip, .network = t->nets[i].name };
		}
	}
	free(seen.s);
	return 0;
}

static int tables_build(const char *config_dir, const struct dns_nameserver *resolv,
			size_t n_resolv, struct dns_tables **ret)
{
	_cleanup_(dns_tables_freep) struct dns_tables *t = NULL;
	_cleanup_free_ uint32_t *line_ctr = NULL;
	size_t pool_cap = 0;
	int r;

	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	if (n_resolv > DNS_MAX_UPSTREAMS)
		n_resolv = DNS_MAX_UPSTREAMS;
	for (size_t i = 0; i < n_resolv; i++) {
		t->resolv[i] = resolv[i].ip;
		t->resolv_scope[i] = resolv[i].scope_id;
		if (resolv[i].scope_id)
			t->resolv_scoped = true;
	}
	t->n_resolv = n_resolv;

	if ((r = load_dir(config_dir, t)) < 0)
		return r;
	if ((r = build_nets(t)) < 0 || (r = build_ctrs(t, &pool_cap, &line_ctr)) < 0 ||
	    (r = build_ips(t, line_ctr)) < 0 || (r = build_names(t, &pool_cap)) < 0 ||
	    (r = build_listeners(t)) < 0)
		return r;
	*ret = TAKE_PTR(t);
	return 0;
}

int dns_tables_build_ns(const char *config_dir, const struct dns_nameserver *resolv,
			size_t n_resolv, struct dns_tables **ret)
{
	if (!config_dir || !ret || (n_resolv && !resolv))
		return -EINVAL;
	return tables_build(config_dir, resolv, n_resolv, ret);
}

int dns_tables_build(const char *config_dir, const struct berth_ip *resolv, size_t n_resolv,
		     struct dns_tables **ret)
{
	struct dns_nameserver ns[DNS_MAX_UPSTREAMS];

	if (!config_dir || !ret || (n_resolv && !resolv))
		return -EINVAL;
	if (n_resolv > DNS_MAX_UPSTREAMS)
		n_resolv = DNS_MAX_UPSTREAMS;
	memset(ns, 0, sizeof(ns));
	for (size_t i = 0; i < n_resolv; i++)
		ns[i].ip = resolv[i];
	return tables_build(config_dir, ns, n_resolv, ret);
}

size_t dns_tables_listeners(const struct dns_tables *t, const struct dns_listener **ret)
{
	if (ret)
		*ret = t ? t->listeners : NULL;
	return t ? t->n_listeners : 0;
}

size_t dns_tables_n_networks(const struct dns_tables *t)
{
	return t ? t->n_nets : 0;
}

size_t dns_tables_n_names(const struct dns_tables *t)
{
	return t ? t->n_names : 0;
}

/* ---- answering ---- */

struct visible {
	const uint32_t *nets;
	size_t n;
	uint32_t one; /* storage for the unknown-source case */
};

static bool is_visible(const struct visible *v, uint32_t net)
{
	for (size_t i = 0; i < v->n; i++)
		if (v->nets[i] == net)
			return true;
	return false;
}

static bool uip_visible(const struct dns_tables *t, const struct dns_uip *u,
			const struct visible *v)
{
	for (uint32_t k = 0; k < u->n_net; k++)
		if (is_visible(v, t->net_pool[u->first_net + k]))
			return true;
	return false;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static bool has_suffix(const char *s, size_t n, const char *suf, size_t sn)
{
	return n >= sn && memcmp(s + n - sn, suf, sn) == 0;
}

/* "4.3.2.1.in-addr.arpa" / 32 nibbles + ".ip6.arpa" (lowercase text) to an address. */
static bool reverse_to_ip(const char *s, size_t n, struct berth_ip *ret)
{
	static const char v4s[] = ".in-addr.arpa", v6s[] = ".ip6.arpa";

	memset(ret, 0, sizeof(*ret));
	if (has_suffix(s, n, v4s, sizeof(v4s) - 1)) {
		size_t end = n - (sizeof(v4s) - 1), i = 0;
		for (int k = 3; k >= 0; k--) {
			unsigned v = 0, digits = 0;
			while (i < end && s[i] >= '0' && s[i] <= '9' && digits < 4) {
				v = v * 10 + (unsigned)(s[i++] - '0');
				digits++;
			}
			if (digits == 0 || digits > 3 || v > 255)
				return false;
			ret->b[k] = (uint8_t)v;
			if (k > 0) {
				if (i >= end || s[i] != '.')
					return false;
				i++;
			}
		}
		if (i != end)
			return false;
		ret->family = AF_INET;
		return true;
	}
	if (has_suffix(s, n, v6s, sizeof(v6s) - 1) && n - (sizeof(v6s) - 1) == 63) {
		for (int k = 0; k < 32; k++) {
			int h = hexval(s[2 * k]);
			if (h < 0 || (k < 31 && s[2 * k + 1] != '.'))
				return false;
			/* first label = lowest nibble */
			int byte = 15 - k / 2;
			if (k % 2 == 0)
				ret->b[byte] = (uint8_t)h;
			else
				ret->b[byte] |= (uint8_t)(h << 4);
		}
		ret->family = AF_INET6;
		return true;
	}
	return false;
}

static enum dns_verdict reply_rcode(const struct dns_query *q, const struct dns_query_ctx *ctx,
				    unsigned rcode, uint8_t *out, size_t *ret_len)
{
	struct dns_writer w;

	if (dns_writer_begin(&w, out, DNS_MAX_UDP, q, rcode, ctx->tcp) < 0)
		return DNS_DROP;
	*ret_len = dns_writer_finish(&w);
	return DNS_REPLY;
}

static void search_domain(const struct dns_query_ctx *ctx, const char **ret, size_t *ret_len)
{
	const char *sd = ctx->search_domain ? ctx->search_domain : "";
	size_t n = strlen(sd);
	while (n && *sd == '.') {
		sd++;
		n--;
	}
	while (n && sd[n - 1] == '.')
		n--;
	*ret = sd;
	*ret_len = n;
}

enum dns_verdict dns_answer(const struct dns_tables *t, const struct dns_query_ctx *ctx,
			    const uint8_t *query, size_t len, uint8_t *out, size_t *ret_len,
			    struct dns_upstreams *ret_upstreams)
{
	struct dns_query q;
	struct dns_writer w;
	struct visible vis = { 0 };
	char text[DNS_MAX_NAME_WIRE + 1];
	const char *sd;
	size_t sdn;
	int tl;

	if (!t || !ctx || !out || !ret_len)
		return DNS_DROP;
	switch (dns_parse_query(query, len, &q)) {
	case DNS_PARSE_OK:
		break;
	case DNS_PARSE_FORMERR:
		return reply_rcode(&q, ctx, DNS_RCODE_FORMERR, out, ret_len);
	case DNS_PARSE_NOTIMP:
		return reply_rcode(&q, ctx, DNS_RCODE_NOTIMP, out, ret_len);
	case DNS_PARSE_BADVERS:
		return reply_rcode(&q, ctx, DNS_RCODE_BADVERS, out, ret_len);
	case DNS_PARSE_DROP:
	default:
		return DNS_DROP;
	}

	/* Who is asking: the container owning the source address, else the listener's network. */
	const struct dns_ipinfo *src = NULL;
	const struct dns_ctr *ctr = NULL;
	uint32_t x = ip_find(t, &ctx->source);
	if (x != UINT32_MAX) {
		src = &t->ips[x];
		ctr = &t->ctrs[src->ctr];
		vis.nets = t->net_pool + ctr->first_net;
		vis.n = ctr->n_net;
	}
	uint32_t lnet = ctx->listener_network ? net_find(t, ctx->listener_network) : UINT32_MAX;
	if (!ctr && lnet != UINT32_MAX) {
		vis.one = lnet;
		vis.nets = &vis.one;
		vis.n = 1;
	}

	search_domain(ctx, &sd, &sdn);
	tl = dns_name_to_text(q.qname, q.qname_len, text, sizeof(text));
	bool under_sd = false;
	if (tl >= 0 && sdn) {
		size_t n = (size_t)tl;
		if (n == sdn && memcmp(text, sd, sdn) == 0)
			under_sd = true;
		else if (n > sdn && text[n - sdn - 1] == '.' && memcmp(text + n - sdn, sd, sdn) == 0)
			under_sd = true;
	}

	if (tl >= 0 && q.qclass == DNS_CLASS_IN &&
	    (q.qtype == DNS_TYPE_A || q.qtype == DNS_TYPE_AAAA)) {
		size_t n = (size_t)tl;
		if (under_sd)
			n = n > sdn ? n - sdn - 1 : 0;
		uint32_t ni = n ? name_find(t, text, n) : UINT32_MAX;
		if (ni != UINT32_MAX) {
			const struct dns_name *nm = &t->names[ni];
			int fam = q.qtype == DNS_TYPE_A ? AF_INET : AF_INET6;
			bool exists = false;
			if (dns_writer_begin(&w, out, DNS_MAX_UDP, &q, DNS_RCODE_NOERROR, ctx->tcp) < 0)
				return DNS_DROP;
			for (uint32_t k = 0; k < nm->n_uip; k++) {
				const struct dns_uip *u = &t->uips[nm->first_uip + k];
				if (!uip_visible(t, u, &vis))
					continue;
				exists = true;
				if (u->ip.family == fam)
					(void)dns_writer_add_answer(&w, q.qtype, 0, u->ip.b,
								    berth_ip_len(fam));
			}
			if (exists) {
				*ret_len = dns_writer_finish(&w);
				return DNS_REPLY;
			}
		}
	}

	if (tl >= 0 && ctr && q.qclass == DNS_CLASS_IN && q.qtype == DNS_TYPE_PTR) {
		struct berth_ip ip;
		uint32_t pi = reverse_to_ip(text, (size_t)tl, &ip) ? ip_find(t, &ip) : UINT32_MAX;
		if (pi != UINT32_MAX) {
			const struct dns_ipinfo *info = &t->ips[pi];
			for (size_t v = 0; v < vis.n; v++) {
				bool found = false;
				for (uint32_t e = 0; e < info->n_ent; e++) {
					const struct dns_ipent *ent = &t->ipents[info->first_ent + e];
					if (ent->net != vis.nets[v])
						continue;
					if (!found && dns_writer_begin(&w, out, DNS_MAX_UDP, &q,
								       DNS_RCODE_NOERROR,
								       ctx->tcp) < 0)
						return DNS_DROP;
					found = true;
					for (size_t m = 0; m < ent->line->n_names; m++) {
						uint8_t rd[DNS_MAX_NAME_WIRE];
						const char *nm = ent->line->names[m];
						int rl = dns_name_from_text(nm, strlen(nm), rd,
									    sizeof(rd));
						if (rl > 0)
							(void)dns_writer_add_answer(
								&w, DNS_TYPE_PTR, 0, rd, (size_t)rl);
					}
				}
				if (found) {
					*ret_len = dns_writer_finish(&w);
					return DNS_REPLY;
				}
			}
		}
	}

	/* Not ours: NXDOMAIN, or forward. */
	if (ctx->no_proxy || (ctr && ctr->all_internal) || under_sd)
		return reply_rcode(&q, ctx, DNS_RCODE_NXDOMAIN, out, ret_len);

	struct dns_upstreams up = { 0 };
	if (src && src->n_own_dns) {
		up.servers = src->own_dns;
		up.n = src->n_own_dns;
	} else if (ctr && ctr->n_up) {
		up.servers = t->up_pool + ctr->first_up;
		up.n = ctr->n_up;
	} else if (!ctr && lnet != UINT32_MAX && t->nets[lnet].n_dns) {
		up.servers = t->nets[lnet].dns;
		up.n = t->nets[lnet].n_dns;
	} else if (t->n_resolv) {
		up.servers = t->resolv;
		up.scopes = t->resolv_scoped ? t->resolv_scope : NULL;
		up.n = t->n_resolv;
	}
	if (!up.n)
		return reply_rcode(&q, ctx, DNS_RCODE_SERVFAIL, out, ret_len);
	if (ret_upstreams)
		*ret_upstreams = up;
	*ret_len = 0;
	return DNS_FORWARD;
}

/* ---- resolv.conf ---- */

static bool zone_ok(const char *z, size_t n)
{
	if (n == 0 || n >= BERTH_IFNAMSIZ)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)z[i];
		if (c <= ' ' || c >= 0x7f || c == '/' || c == ':' || c == '%')
			return false;
	}
	return true;
}

int dns_parse_nameservers(const char *buf, size_t len, struct dns_nameserver *ret, size_t max)
{
	size_t pos = 0, count = 0;

	if (!buf && len)
		return -EINVAL;
	if (max > DNS_MAX_UPSTREAMS)
		max = DNS_MAX_UPSTREAMS;
	while (pos < len) {
		const char *line = buf + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;
		pos += n + (nl ? 1 : 0);

		/* Comments run from '#' or ';' to the end of the line. */
		for (size_t i = 0; i < n; i++)
			if (line[i] == '#' || line[i] == ';') {
				n = i;
				break;
			}
		/* Tokens separated by blanks. */
		const char *tok[3];
		size_t tlen[3], nt = 0, i = 0;
		bool nul = false;
		while (i < n) {
			while (i < n && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
				i++;
			if (i >= n)
				break;
			size_t s = i;
			while (i < n && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') {
				if (line[i] == '\0')
					nul = true;
				i++;
			}
			if (nt < 3) {
				tok[nt] = line + s;
				tlen[nt] = i - s;
			}
			nt++;
		}
		if (nt == 0 || tlen[0] != 10 || memcmp(tok[0], "nameserver", 10) != 0)
			continue;
		if (nt != 2 || nul)
			return -EINVAL;

		char a[BERTH_IP_STRLEN];
		struct dns_nameserver ns = { 0 };
		const char *pct = memchr(tok[1], '%', tlen[1]);
		size_t alen = pct ? (size_t)(pct - tok[1]) : tlen[1];
		if (alen == 0 || alen >= sizeof(a))
			return -EINVAL;
		memcpy(a, tok[1], alen);
		a[alen] = '\0';
		if (berth_ip_parse(a, &ns.ip) < 0)
			return -EINVAL;
		if (pct) {
			size_t zlen = tlen[1] - alen - 1;
			if (ns.ip.family != AF_INET6 || !zone_ok(pct + 1, zlen))
				return -EINVAL;
			memcpy(ns.zone, pct + 1, zlen);
			ns.zone[zlen] = '\0';
			/* A number is an interface index; anything else a name (resolved later). */
			if (ns.zone[0] >= '0' && ns.zone[0] <= '9' &&
			    (berth_parse_u32(ns.zone, &ns.scope_id) < 0 || ns.scope_id == 0))
				return -EINVAL;
		}
		if (count < max && ret)
			ret[count] = ns;
		if (count < max)
			count++;
	}
	return (int)count;
}

int dns_parse_resolv_conf(const char *buf, size_t len, struct berth_ip *ret, size_t max)
{
	struct dns_nameserver ns[DNS_MAX_UPSTREAMS];
	int r = dns_parse_nameservers(buf, len, ns, max);

	for (int i = 0; ret && i < r; i++)
		ret[i] = ns[i].ip;
	return r;
}

int dns_nameserver_resolve_zone(struct dns_nameserver *ns)
{
	unsigned idx;

	if (!ns)
		return -EINVAL;
	if (ns->zone[0] == '\0' || ns->scope_id != 0)
		return 0;
	/* #syscalls socket ioctl close (if_nametoindex: SIOCGIFINDEX on a scratch socket) */
	idx = if_nametoindex(ns->zone);
	if (idx == 0)
		return errno == ENODEV || errno == 0 ? -ENODEV : -errno;
	ns->scope_id = idx;
	return 0;
}
