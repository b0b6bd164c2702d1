// SPDX-License-Identifier: Apache-2.0
/*
 * nf_tables transactions: a list of commands serialised into one netlink batch
 * (NFNL_MSG_BATCH_BEGIN ... NFNL_MSG_BATCH_END), sent with one sendmsg(), and
 * every command's acknowledgement collected and matched by sequence number.
 *
 * Theory of operation. nfnetlink processes a batch synchronously inside the
 * sendmsg() call: it runs every message, queues one NLMSG_ERROR per message
 * that asked for NLM_F_ACK or failed (error 0 = ACK), then commits or, if any
 * message failed, aborts the whole transaction, and only then delivers the
 * queued answers. So every answer is in our receive queue when sendmsg()
 * returns, unless the queue overflowed (ENOBUFS); the receive buffer is
 * therefore sized from the number of commands. The poll timeout only guards
 * against the unexpected.
 */
#include "nft/batch.h"

#include "basic/fileio.h"
#include "basic/time-util.h"

#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "basic/error.h"
#include "basic/log.h"

/*
 * Largest single message we build: element lists are kept below 48 KiB by
 * firewall.c (the nested list's nla_len is 16 bits), rules are far smaller.
 */
#define NFT_MSG_MAXSIZE (64 * 1024)
/*
 * nftnl_batch page size. A message must fit in one page: libmnl's batch
 * refuses (and libnftnl then silently drops) a message larger than the page
 * limit, so the page is larger than NFT_MSG_MAXSIZE.
 */
#define NFT_BATCH_PAGE_SIZE (128 * 1024)
/* Receive queue budget per expected answer (skb truesize of a small ACK < 1 KiB). */
#define NFT_ACK_BUDGET 1024
#define NFT_RCVBUF_MIN (256 * 1024)
/* Failures named in the message; an aborted batch often fails many follow-ups too. */
#define NFT_MAX_REPORTED 8
/* Dump answers are batched by the kernel up to about 16 KiB per read. */
#define NFT_DUMP_BUFSIZE (32 * 1024)

void nft_batch_init(struct nft_batch *b, uint16_t family)
{
	*b = (struct nft_batch){ .family = family, .tag = -1 };
}

static void nft_cmd_done(struct nft_cmd *c)
{
	if (c->obj) {
		switch (c->kind) {
		case NFT_OBJ_TABLE:
			nftnl_table_free(c->obj);
			break;
		case NFT_OBJ_CHAIN:
			nftnl_chain_free(c->obj);
			break;
		case NFT_OBJ_RULE:
			nftnl_rule_free(c->obj);
			break;
		case NFT_OBJ_SET:
			nftnl_set_free(c->obj);
			break;
		}
	}
	free(c->what);
	free(c->detail);
	*c = (struct nft_cmd){ 0 };
}

void nft_batch_done(struct nft_batch *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n_cmds; i++)
		nft_cmd_done(&b->cmds[i]);
	free(b->cmds);
	b->cmds = NULL;
	b->n_cmds = b->n_alloc = 0;
	if (b->nl) {
		mnl_socket_close(b->nl);
		b->nl = NULL;
	}
}

int nft_batch_push(struct nft_batch *b, uint16_t msg_type, uint16_t nl_flags, bool missing_ok,
		   enum nft_obj_kind kind, void *obj, char *what, char *detail)
{
	struct nft_cmd c = {
		.msg_type = msg_type,
		.nl_flags = nl_flags,
		.missing_ok = missing_ok,
		.kind = kind,
		.obj = obj,
		.what = what,
		.detail = detail,
		.tag = b->tag,
		.family = b->family,
	};

	if (!obj || !what) {
		nft_cmd_done(&c);
		return -ENOMEM;
	}
	if (b->n_cmds == b->n_alloc) {
		size_t n = b->n_alloc ? b->n_alloc * 2 : 16;
		struct nft_cmd *p = reallocarray(b->cmds, n, sizeof(*p));
		if (!p) {
			nft_cmd_done(&c);
			return -ENOMEM;
		}
		b->cmds = p;
		b->n_alloc = n;
	}
	b->cmds[b->n_cmds++] = c;
	return 0;
}

static void nft_cmd_build(const struct nft_cmd *c, struct nlmsghdr *nlh)
{
	switch (c->kind) {
	case NFT_OBJ_TABLE:
		nftnl_table_nlmsg_build_payload(nlh, c->obj);
		break;
	case NFT_OBJ_CHAIN:
		nftnl_chain_nlmsg_build_payload(nlh, c->obj);
		break;
	case NFT_OBJ_RULE:
		nftnl_rule_nlmsg_build_payload(nlh, c->obj);
		break;
	case NFT_OBJ_SET:
		if (c->msg_type == NFT_MSG_NEWSETELEM || c->msg_type == NFT_MSG_DELSETELEM ||
		    c->msg_type == NFT_MSG_GETSETELEM)
			nftnl_set_elems_nlmsg_build_payload(nlh, c->obj);
		else
			nftnl_set_nlmsg_build_payload(nlh, c->obj);
		break;
	}
}

int nft_socket_open(struct mnl_socket **ret)
{
	_cleanup_(mnl_socket_closep) struct mnl_socket *nl = NULL;
	int one = 1;

	nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		return -errno;
	/* Errors carry only the failing message's header, not its payload. */
	(void)mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
	*ret = TAKE_PTR(nl);
	return 0;
}

/* Raise a socket buffer to at least `size`; privileged first, then capped by sysctl. */
static void nft_socket_grow(int fd, int opt_force, int opt, size_t size)
{
	int cur = 0, want = size > INT32_MAX / 2 ? INT32_MAX / 2 : (int)size;
	socklen_t l = sizeof(cur);

	/* The kernel reports twice the value set; compare with that. */
	if (getsockopt(fd, SOL_SOCKET, opt, &cur, &l) == 0 && cur >= 2 * want)
		return;
	if (setsockopt(fd, SOL_SOCKET, opt_force, &want, sizeof(want)) == 0)
		return;
	(void)setsockopt(fd, SOL_SOCKET, opt, &want, sizeof(want));
}

/* One round: results[i] receives the answer (0 or -errno) of active[i]. */
struct nft_round {
	size_t n;              /* active commands */
	size_t *active;        /* index into b->cmds */
	int *results;          /* per active command */
	bool *answered;
	uint32_t seq_begin;    /* batch begin; commands are seq_begin + 1 + i */
	int batch_err;         /* error reported against begin/end */
	bool overrun;          /* ENOBUFS: answers were lost */
};

static int nft_round_send(const struct nft_batch *b, struct mnl_socket *nl, struct nft_round *r)
{
	_cleanup_(nftnl_batch_freep) struct nftnl_batch *nb = NULL;
	_cleanup_free_ struct iovec *iov = NULL;
	struct sockaddr_nl snl = { .nl_family = AF_NETLINK };
	uint32_t seq = r->seq_begin;
	size_t total = 0;
	int n_iov;

	nb = nftnl_batch_alloc(NFT_BATCH_PAGE_SIZE, NFT_MSG_MAXSIZE);
	if (!nb)
		return -ENOMEM;

	nftnl_batch_begin(nftnl_batch_buffer(nb), seq++);
	if (nftnl_batch_update(nb) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < r->n; i++) {
		const struct nft_cmd *c = &b->cmds[r->active[i]];
		struct nlmsghdr *nlh;

		nlh = nftnl_nlmsg_build_hdr(nftnl_batch_buffer(nb), c->msg_type, c->family,
					    c->nl_flags | NLM_F_ACK, seq++);
		nft_cmd_build(c, nlh);
		if (nlh->nlmsg_len > NFT_MSG_MAXSIZE)
			return -EMSGSIZE;
		if (nftnl_batch_update(nb) < 0)
			return -ENOMEM;
	}
	nftnl_batch_end(nftnl_batch_buffer(nb), seq);
	if (nftnl_batch_update(nb) < 0)
		return -ENOMEM;

	n_iov = nftnl_batch_iovec_len(nb);
	iov = calloc(n_iov, sizeof(*iov));
	if (!iov)
		return -ENOMEM;
	nftnl_batch_iovec(nb, iov, n_iov);
	for (int i = 0; i < n_iov; i++)
		total += iov[i].iov_len;

	nft_socket_grow(mnl_socket_get_fd(nl), SO_SNDBUFFORCE, SO_SNDBUF, total + 4096);
	nft_socket_grow(mnl_socket_get_fd(nl), SO_RCVBUFFORCE, SO_RCVBUF,
			(r->n + 2) * NFT_ACK_BUDGET > NFT_RCVBUF_MIN ? (r->n + 2) * NFT_ACK_BUDGET
								 : NFT_RCVBUF_MIN);

	struct msghdr msg = {
		.msg_name = &snl,
		.msg_namelen = sizeof(snl),
		.msg_iov = iov,
		.msg_iovlen = n_iov,
	};
	ssize_t s;
	do
		s = sendmsg(mnl_socket_get_fd(nl), &msg, 0);
	while (s < 0 && errno == EINTR);
	if (s < 0)
		return -errno;
	log_trace("nft: sent batch of %zu commands, %zu bytes", r->n, total);
	return 0;
}

static void nft_round_answer(struct nft_round *r, uint32_t seq, int err, size_t *n_answered)
{
	if (seq == r->seq_begin || seq == (uint32_t)(r->seq_begin + 1 + r->n)) {
		/* The batch as a whole was refused (EPERM, no nf_tables, ...). */
		if (err && !r->batch_err)
			r->batch_err = err;
		return;
	}
	uint32_t i = seq - r->seq_begin - 1;
	if (i >= r->n)
		return; /* not ours */
	if (r->answered[i])
		return;
	r->answered[i] = true;
	r->results[i] = err;
	(*n_answered)++;
}

static int nft_round_collect(struct mnl_socket *nl, struct nft_round *r)
{
	_cleanup_free_ char *buf = NULL;
	unsigned portid = mnl_socket_get_portid(nl);
	int fd = mnl_socket_get_fd(nl);
	long long deadline = berth_now_ms() + NFT_REPLY_TIMEOUT_MS;
	size_t n_answered = 0;

	buf = malloc(MNL_SOCKET_BUFFER_SIZE);
	if (!buf)
		return -ENOMEM;

	while (n_answered < r->n && !r->batch_err) {
		long long left = deadline - berth_now_ms();
		int k;

		/* After an overrun everything left is already queued: do not wait. */
		k = fd_wait_readable(fd, r->overrun ? 0 : (left > 0 ? (int)left : 0));
		if (k == -ETIMEDOUT && r->overrun)
			return -ENOBUFS;
		if (k < 0)
			return k;

		ssize_t len = recv(fd, buf, MNL_SOCKET_BUFFER_SIZE, MSG_DONTWAIT);
		if (len < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			if (errno == ENOBUFS) {
				r->overrun = true;
				continue;
			}
			return -errno;
		}

		int rem = (int)len;
		for (const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
		     mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
			if (!mnl_nlmsg_portid_ok(nlh, portid))
				continue;
			if (nlh->nlmsg_type != NLMSG_ERROR)
				continue; /* no echo requested; nothing else is expected */
			if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct nlmsgerr)))
				return -EBADMSG;
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
			nft_round_answer(r, nlh->nlmsg_seq, e->error <= 0 ? e->error : -e->error,
					 &n_answered);
		}
	}
	return 0;
}

static char *nft_append_failure(char *msg, const char *what, int err)
{
	/* berth_strappendf() frees msg when it fails */
	return berth_strappendf(msg, "%s%s: %s", msg ? "; " : "", what, strerror(-err));
}

int nft_batch_commit_tagged(struct nft_batch *b, char **ret_msg, int *ret_failed_tag,
			    int *ret_failed_errno)
{
	struct mnl_socket *nl = NULL;
	_cleanup_free_ size_t *active = NULL;
	_cleanup_free_ int *results = NULL;
	_cleanup_free_ bool *answered = NULL;
	uint32_t seq = (uint32_t)time(NULL) ^ ((uint32_t)getpid() << 16);
	int r;

	if (ret_failed_tag)
		*ret_failed_tag = -1;
	if (ret_failed_errno)
		*ret_failed_errno = 0;
	if (b->n_cmds == 0)
		return 0;

	active = calloc(b->n_cmds, sizeof(*active));
	results = calloc(b->n_cmds, sizeof(*results));
	answered = calloc(b->n_cmds, sizeof(*answered));
	if (!active || !results || !answered)
		return -ENOMEM;

	if (!b->nl) {
		r = nft_socket_open(&b->nl);
		if (r < 0) {
			if (ret_msg)
				*ret_msg = berth_strappendf(NULL, "open nftables netlink socket: %s",
							    strerror(-r));
			return r;
		}
	}
	nl = b->nl;

	for (unsigned round = 0; round < NFT_COMMIT_MAX_ROUNDS; round++) {
		struct nft_round rd = {
			.active = active,
			.results = results,
			.answered = answered,
		};
		bool only_missing = true, any_failed = false;
		_cleanup_free_ char *msg = NULL;
		size_t n_failed = 0;
		int first_err = 0, first_tag = -1;

		for (size_t i = 0; i < b->n_cmds; i++)
			if (!b->cmds[i].dropped)
				active[rd.n++] = i;
		if (rd.n == 0)
			return 0;
		memset(results, 0, rd.n * sizeof(*results));
		memset(answered, 0, rd.n * sizeof(*answered));
		rd.seq_begin = seq;
		seq += rd.n + 2;

		r = nft_round_send(b, nl, &rd);
		if (r >= 0)
			r = nft_round_collect(nl, &rd);
		if (r < 0) {
			if (ret_msg)
				*ret_msg = berth_strappendf(NULL, "nftables transaction: %s%s",
							    strerror(-r),
							    r == -ENOBUFS ? " (answers lost)" : "");
			return r;
		}
		if (rd.batch_err) {
			if (ret_msg)
				*ret_msg = berth_strappendf(NULL, "nftables transaction: %s",
							    strerror(-rd.batch_err));
			return rd.batch_err;
		}

		for (size_t i = 0; i < rd.n; i++) {
			const struct nft_cmd *c = &b->cmds[active[i]];
			if (results[i] == 0)
				continue;
			any_failed = true;
			if (results[i] == -ENOENT && c->missing_ok)
				continue;
			only_missing = false;
			if (!first_err) {
				first_err = results[i];
				first_tag = c->tag;
			}
			if (++n_failed > NFT_MAX_REPORTED)
				continue;
			msg = nft_append_failure(msg, c->what, results[i]);
			if (!msg)
				return -ENOMEM;
		}
		if (n_failed > NFT_MAX_REPORTED) {
			msg = berth_strappendf(msg, " (and %zu more)", n_failed - NFT_MAX_REPORTED);
			if (!msg)
				return -ENOMEM;
		}
		if (!any_failed) {
			log_debug("nft: committed %zu commands", rd.n);
			return 0;
		}
		if (!only_missing) {
			log_debug("nft: transaction aborted: %s", msg);
			if (ret_msg)
				*ret_msg = TAKE_PTR(msg);
			if (ret_failed_tag)
				*ret_failed_tag = first_tag;
			if (ret_failed_errno)
				*ret_failed_errno = first_err;
			return first_err;
		}
		/* Only "already gone" failures: drop those and try again. */
		for (size_t i = 0; i < rd.n; i++)
			if (results[i] == -ENOENT) {
				b->cmds[active[i]].dropped = true;
				log_debug("nft: %s: already missing, dropped",
					  b->cmds[active[i]].what);
			}
	}
	if (ret_msg)
		*ret_msg = berth_strappendf(NULL,
					    "nftables transaction: objects kept disappearing, gave "
					    "up after %d rounds",
					    NFT_COMMIT_MAX_ROUNDS);
	return -EAGAIN;
}

struct nft_dump_ctx {
	mnl_cb_t cb;
	void *data;
	bool interrupted;
};

static int nft_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nft_dump_ctx *ctx = data;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		ctx->interrupted = true;
	return ctx->cb(nlh, ctx->data);
}

int nft_dump(struct mnl_socket *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	_cleanup_free_ char *buf = NULL;
	struct nft_dump_ctx ctx = { .cb = cb, .data = data };
	unsigned portid = mnl_socket_get_portid(nl);
	uint32_t seq = nlh->nlmsg_seq;
	long long deadline = berth_now_ms() + NFT_REPLY_TIMEOUT_MS;
	int fd = mnl_socket_get_fd(nl);

	buf = malloc(NFT_DUMP_BUFSIZE);
	if (!buf)
		return -ENOMEM;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;

	for (;;) {
		long long left = deadline - berth_now_ms();
		int r = fd_wait_readable(fd, left > 0 ? (int)left : 0);
		if (r < 0)
			return r;
		ssize_t len = recv(fd, buf, NFT_DUMP_BUFSIZE, MSG_DONTWAIT);
		if (len < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		r = mnl_cb_run(buf, (size_t)len, seq, portid, nft_dump_cb, &ctx);
		if (r < 0)
			return -errno;
		if (r == MNL_CB_STOP)
			break;
	}
	return ctx.interrupted ? -EINTR : 0;
}

/* ---- dump ---- */

static const char *nft_msg_name(uint16_t type)
{
	switch (type) {
	case NFT_MSG_NEWTABLE:
		return "NEWTABLE";
	case NFT_MSG_DELTABLE:
		return "DELTABLE";
	case NFT_MSG_NEWCHAIN:
		return "NEWCHAIN";
	case NFT_MSG_DELCHAIN:
		return "DELCHAIN";
	case NFT_MSG_NEWRULE:
		return "NEWRULE";
	case NFT_MSG_DELRULE:
		return "DELRULE";
	case NFT_MSG_NEWSET:
		return "NEWSET";
	case NFT_MSG_DELSET:
		return "DELSET";
	case NFT_MSG_NEWSETELEM:
		return "NEWSETELEM";
	case NFT_MSG_DELSETELEM:
		return "DELSETELEM";
	default:
		return "?";
	}
}

static void nft_dump_hex(FILE *f, const uint8_t *p, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		fprintf(f, "%s%02x", i && i % 4 == 0 ? " " : "", p[i]);
}

static int nft_dump_elem(struct nftnl_set_elem *e, void *data)
{
	FILE *f = data;
	const void *p;
	uint32_t len;

	fputs("\telement", f);
	p = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);
	if (p) {
		fputs(" key ", f);
		nft_dump_hex(f, p, len);
	}
	p = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY_END, &len);
	if (p) {
		fputs(" key_end ", f);
		nft_dump_hex(f, p, len);
	}
	if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_FLAGS))
		fprintf(f, " flags 0x%x", nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_FLAGS));
	p = nftnl_set_elem_get(e, NFTNL_SET_ELEM_DATA, &len);
	if (p) {
		fputs(" : ", f);
		nft_dump_hex(f, p, len);
	}
	if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_VERDICT)) {
		int v = (int)nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_VERDICT);
		fprintf(f, " verdict %s", v == NFT_JUMP ? "jump" : v == NFT_GOTO ? "goto" : "?");
		if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_CHAIN))
			fprintf(f, " %s", nftnl_set_elem_get_str(e, NFTNL_SET_ELEM_CHAIN));
	}
	fputc('\n', f);
	return 0;
}

static int nft_dump_expr(struct nftnl_expr *e, void *data)
{
	FILE *f = data;
	char buf[512];

	if (nftnl_expr_snprintf(buf, sizeof(buf), e, NFTNL_OUTPUT_DEFAULT, 0) < 0)
		return -EIO;
	fprintf(f, "\t[ %s %s]\n", nftnl_expr_get_str(e, NFTNL_EXPR_NAME), buf);
	return 0;
}

static void nft_dump_udata_set(FILE *f, struct nftnl_set *s)
{
	fprintf(f, "\tflags 0x%x key type %u len %u", nftnl_set_get_u32(s, NFTNL_SET_FLAGS),
		nftnl_set_get_u32(s, NFTNL_SET_KEY_TYPE), nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN));
	if (nftnl_set_is_set(s, NFTNL_SET_DATA_TYPE))
		fprintf(f, " data type 0x%x len %u", nftnl_set_get_u32(s, NFTNL_SET_DATA_TYPE),
			nftnl_set_get_u32(s, NFTNL_SET_DATA_LEN));
	if (nftnl_set_is_set(s, NFTNL_SET_DESC_CONCAT)) {
		uint32_t len;
		const uint8_t *fl = nftnl_set_get_data(s, NFTNL_SET_DESC_CONCAT, &len);
		fputs(" concat", f);
		for (uint32_t i = 0; fl && i < len && fl[i]; i++)
			fprintf(f, "%s%u", i ? "," : " ", fl[i]);
	}
	fputc('\n', f);
}

int nft_batch_dump(const struct nft_batch *b, FILE *f)
{
	for (size_t i = 0; i < b->n_cmds; i++) {
		const struct nft_cmd *c = &b->cmds[i];

		fprintf(f, "%s %s%s%s%s%s", nft_msg_name(c->msg_type), c->what,
			c->nl_flags & NLM_F_CREATE ? " [create]" : "",
			c->nl_flags & NLM_F_EXCL ? " [excl]" : "",
			c->missing_ok ? " [missing ok]" : "", c->dropped ? " [dropped]" : "");
		if (c->tag != -1)
			fprintf(f, " [tag %d]", c->tag);
		fputc('\n', f);
		if (c->detail)
			fprintf(f, "\t# %s\n", c->detail);
		switch (c->kind) {
		case NFT_OBJ_TABLE:
			break;
		case NFT_OBJ_CHAIN: {
			struct nftnl_chain *ch = c->obj;
			if (nftnl_chain_is_set(ch, NFTNL_CHAIN_HOOKNUM))
				fprintf(f, "\ttype %s hook %u priority %d policy %s\n",
					nftnl_chain_get_str(ch, NFTNL_CHAIN_TYPE),
					nftnl_chain_get_u32(ch, NFTNL_CHAIN_HOOKNUM),
					(int)nftnl_chain_get_s32(ch, NFTNL_CHAIN_PRIO),
					nftnl_chain_get_u32(ch, NFTNL_CHAIN_POLICY) == NF_ACCEPT
						? "accept"
						: "drop");
			break;
		}
		case NFT_OBJ_RULE:
			if (nftnl_expr_foreach(c->obj, nft_dump_expr, f) < 0)
				return -EIO;
			break;
		case NFT_OBJ_SET:
			if (c->msg_type == NFT_MSG_NEWSET)
				nft_dump_udata_set(f, c->obj);
			else
				(void)nftnl_set_elem_foreach(c->obj, nft_dump_elem, f);
			break;
		}
	}
	return ferror(f) ? -EIO : 0;
}
