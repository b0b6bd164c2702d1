/* SPDX-License-Identifier: Apache-2.0 */
/* The live tests' oracle: run a shell command (ip, nft, ...) and return its stdout. */
#pragma once

#include <stdio.h>
#include <stdlib.h>

/* malloc'd stdout of cmd (the caller frees it); cmocka fails the test if it cannot run. */
static inline char *run(const char *cmd)
{
	FILE *p = popen(cmd, "r");
	char *buf = NULL;
	size_t len = 0;
	FILE *m;
	int c;

	assert_non_null(p);
	m = open_memstream(&buf, &len);
	assert_non_null(m);
	while ((c = fgetc(p)) != EOF)
		fputc(c, m);
	fclose(m);
	(void)pclose(p);
	return buf;
}
