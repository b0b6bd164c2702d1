// SPDX-License-Identifier: Apache-2.0
/*
 * berth-dns: reading the config directory (every network file but
 * aardvark.pid and dot files), within limits on the file count and size.
 */
#include "tables-internal.h"

#include "basic/cleanup.h"
#include "basic/fileio.h"
#include "basic/log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

int tables_load_dir(const char *config_dir, struct dns_tables *t)
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
		if ((r = tables_grow(&files, &cap_files, n_files + 1, sizeof(*files))) < 0)
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
		if ((r = tables_grow(&t->parsed, &cap_parsed, t->n_parsed + 1, sizeof(*t->parsed))) < 0) {
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
