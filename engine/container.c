// SPDX-License-Identifier: Apache-2.0
/* Container records: load, save, look up, list; which networks they use. See container.h. */
#include "container.h"
#include "image.h"

#include "basic/cleanup.h"
#include "basic/fileio.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ENG_MAX_RECORD (1u << 20)

DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir)

void eng_container_free(struct eng_container *c)
{
	if (!c)
		return;
	json_decref(c->j);
	free(c->dir);
	free(c);
}

void eng_container_list_free(struct eng_container **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		eng_container_free(v[i]);
	free(v);
}

static int load(struct eng_ctx *ctx, const char *id, struct eng_container **ret)
{
	_cleanup_free_ char *dir = eng_path(ctx->root, "containers/%s", id);
	_cleanup_free_ char *path = eng_path(ctx->root, "containers/%s/container.json", id);
	_cleanup_free_ char *buf = NULL;
	size_t len;
	if (!dir || !path)
		return -ENOMEM;
	int r = read_file_limited(path, ENG_MAX_RECORD, &buf, &len);
	if (r < 0)
		return r;
	json_t *j = json_loadb(buf, len, 0, NULL);
	json_t *jid = json_object_get(j, "id"), *jname = json_object_get(j, "name");
	if (!json_is_string(jid) || !json_is_string(jname) ||
	    strcmp(json_string_value(jid), id) != 0) {
		json_decref(j);
		return -EBADMSG;
	}
	struct eng_container *c = calloc(1, sizeof(*c));
	if (!c) {
		json_decref(j);
		return -ENOMEM;
	}
	c->j = j;
	c->dir = TAKE_PTR(dir);
	c->id = json_string_value(jid);
	c->name = json_string_value(jname);
	*ret = c;
	return 0;
}

int eng_container_save(const struct eng_container *c, struct berth_error **reterr)
{
	_cleanup_free_ char *text = json_dumps(c->j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	_cleanup_free_ char *path = eng_path(c->dir, "container.json");
	if (!text || !path)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	int r = write_file_atomic(path, text, strlen(text), 0600);
	if (r < 0)
		return berth_error_errno(reterr, r, BERTH_ERR_IO, "write %s", path);
	return 0;
}

int eng_container_list(struct eng_ctx *ctx, struct eng_container ***ret, size_t *ret_n,
		       struct berth_error **reterr)
{
	_cleanup_free_ char *dir = eng_path(ctx->root, "containers");
	if (!dir)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	_cleanup_(closedirp) DIR *d = opendir(dir);
	if (!d && errno != ENOENT)
		return berth_error_errno(reterr, -errno, BERTH_ERR_IO, "read %s", dir);
	struct eng_container **v = calloc(ENG_MAX_CONTAINERS, sizeof(*v));
	size_t n = 0;
	if (!v)
		return berth_error_set(reterr, ENOMEM, "out of memory");
	for (struct dirent *de; d && (de = readdir(d));) {
		if (de->d_name[0] == '.')
			continue;
		if (n >= ENG_MAX_CONTAINERS) {
			eng_container_list_free(v, n);
			return berth_error_set(reterr, E2BIG, "more than %d containers",
					       ENG_MAX_CONTAINERS);
		}
		if (load(ctx, de->d_name, &v[n]) == 0)
			n++;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

int eng_container_get(struct eng_ctx *ctx, const char *ref, struct eng_container **ret,
		      struct berth_error **reterr)
{
	struct eng_container **v;
	size_t n, hit = SIZE_MAX, prefix_hits = 0, prefix_at = 0;
	int r = eng_container_list(ctx, &v, &n, reterr);
	if (r < 0)
		return r;
	size_t rl = strlen(ref);
	for (size_t i = 0; i < n && hit == SIZE_MAX; i++) {
		if (strcmp(v[i]->name, ref) == 0 || strcmp(v[i]->id, ref) == 0)
			hit = i;
		else if (rl >= 3 && strncmp(v[i]->id, ref, rl) == 0)
			prefix_hits++, prefix_at = i;
	}
	if (hit == SIZE_MAX && prefix_hits == 1)
		hit = prefix_at;
	if (hit == SIZE_MAX) {
		eng_container_list_free(v, n);
		if (prefix_hits > 1)
			return berth_error_set(reterr, EINVAL,
					       "more than one container matches ID prefix %s", ref);
		return berth_error_set(reterr, ENOENT, "no container with name or ID \"%s\" found",
				       ref);
	}
	*ret = TAKE_PTR(v[hit]);
	eng_container_list_free(v, n);
	return 0;
}

enum eng_state eng_container_state(const struct eng_container *c)
{
	const char *s = json_string_value(json_object_get(c->j, "state"));
	if (s && strcmp(s, "running") == 0)
		return ENG_STATE_RUNNING;
	if (s && strcmp(s, "exited") == 0)
		return ENG_STATE_EXITED;
	return ENG_STATE_CREATED;
}

const char *eng_state_name(enum eng_state s)
{
	switch (s) {
	case ENG_STATE_RUNNING: return "running";
	case ENG_STATE_EXITED: return "exited";
	default: return "created";
	}
}

static bool uses(const struct eng_container *c, const char *net)
{
	return json_object_get(json_object_get(c->j, "networks"), net) != NULL;
}

bool eng_network_in_use(struct eng_ctx *ctx, const char *net)
{
	struct eng_container **v;
	size_t n;
	bool used = false;
	if (eng_container_list(ctx, &v, &n, NULL) < 0)
		return true; /* cannot tell: keep the network */
	for (size_t i = 0; i < n && !used; i++)
		used = uses(v[i], net);
	eng_container_list_free(v, n);
	return used;
}

int eng_network_users_json(struct eng_ctx *ctx, const char *net, json_t **ret)
{
	struct eng_container **v;
	size_t n;
	int r = eng_container_list(ctx, &v, &n, NULL);
	if (r < 0)
		return r;
	json_t *o = json_object();
	for (size_t i = 0; i < n; i++) {
		if (!uses(v[i], net))
			continue;
		json_t *ips = json_object_get(json_object_get(v[i]->j, "ips"), net);
		json_object_set_new(o, v[i]->id,
				    json_pack("{s:s, s:O?}", "name", v[i]->name, "ips", ips));
	}
	eng_container_list_free(v, n);
	*ret = o;
	return 0;
}

int eng_network_remove(struct eng_ctx *ctx, const struct eng_network *n, bool force,
		       struct berth_error **reterr)
{
	if (!n->path)
		return berth_error_set(reterr, EINVAL, "default network %s cannot be removed",
				       n->name);
	struct eng_container **v;
	size_t cn;
	int r = eng_container_list(ctx, &v, &cn, reterr);
	if (r < 0)
		return r;
	for (size_t i = 0; i < cn; i++) {
		if (!uses(v[i], n->name))
			continue;
		if (!force) {
			eng_container_list_free(v, cn);
			return berth_error_set(reterr, EBUSY,
					       "\"%s\" has associated containers with it. Use -f to "
					       "forcibly delete containers and pods: network is "
					       "being used",
					       n->name);
		}
		r = eng_container_remove(ctx, v[i], true, reterr);
		if (r < 0) {
			eng_container_list_free(v, cn);
			return r;
		}
	}
	eng_container_list_free(v, cn);
	return eng_network_remove_file(ctx, n, reterr);
}

bool eng_image_in_use(struct eng_ctx *ctx, const char *id)
{
	struct eng_container **v;
	size_t n;
	bool used = false;
	if (eng_container_list(ctx, &v, &n, NULL) < 0)
		return true; /* cannot tell: keep the image */
	for (size_t i = 0; i < n && !used; i++) {
		const char *img = json_string_value(json_object_get(v[i]->j, "image_id"));
		used = img && strcmp(img, id) == 0;
	}
	eng_container_list_free(v, n);
	return used;
}
