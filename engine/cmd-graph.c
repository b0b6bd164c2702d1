// SPDX-License-Identifier: Apache-2.0
/*
 * berth network graph [--format dot|svg] [-o FILE]: the topology as
 * Graphviz DOT (networks as boxes, containers as ellipses, edges labelled
 * with the interface and its addresses, published ports from the host),
 * rendered to SVG by Graphviz's `dot` when it is installed.
 */
#include "container.h"
#include "network.h"

#include "basic/cleanup.h"
#include "basic/fileio.h"
#include "basic/proc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* A DOT string literal's content: quotes and backslashes escaped. */
static char *dot_escape(const char *s)
{
	size_t n = strlen(s);
	char *o = malloc(2 * n + 1), *p = o;
	if (!o)
		return NULL;
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			*p++ = '\\';
		*p++ = *s == '\n' ? ' ' : *s;
	}
	*p = '\0';
	return o;
}


static char *build_dot(struct eng_network **nets, size_t n_nets, struct eng_container **ctrs,
		       size_t n_ctrs)
{
	char *out = strdup("digraph berth {\n"
			   "\trankdir=LR;\n"
			   "\tnode [fontname=\"sans-serif\", fontsize=10];\n"
			   "\tedge [fontname=\"sans-serif\", fontsize=9];\n"
			   "\thost [label=\"host\", shape=house, style=filled, fillcolor=\"#eeeeee\"];\n");
	for (size_t i = 0; i < n_nets && out; i++) {
		struct eng_network *n = nets[i];
		char label[1024];
		int k = snprintf(label, sizeof(label), "%s\\n%s", n->name, n->driver);
		json_t *iface = json_object_get(n->j, "network_interface");
		if (json_is_string(iface))
			k += snprintf(label + k, sizeof(label) - (size_t)k, " %s",
				      json_string_value(iface));
		json_t *s;
		size_t x;
		json_array_foreach(json_object_get(n->j, "subnets"), x, s)
			if (k < (int)sizeof(label) - 64)
				k += snprintf(label + k, sizeof(label) - (size_t)k, "\\n%s",
					      json_string_value(json_object_get(s, "subnet")));
		if (json_is_true(json_object_get(n->j, "internal")) && k < (int)sizeof(label) - 16)
			k += snprintf(label + k, sizeof(label) - (size_t)k, "\\ninternal");
		if (json_is_true(json_object_get(n->j, "dns_enabled")) && k < (int)sizeof(label) - 16)
			snprintf(label + k, sizeof(label) - (size_t)k, "\\nDNS");
		_cleanup_free_ char *en = dot_escape(n->name);
		/* label is built from escaped parts but may hold a name's quote: escape it whole */
		_cleanup_free_ char *el = dot_escape(label);
		if (!en || !el)
			break;
		/* keep the \n line breaks dot_escape doubled */
		for (char *p = el; (p = strstr(p, "\\\\n")); p += 2)
			memmove(p, p + 1, strlen(p));
		out = berth_strappendf(out,
				       "\t\"net:%s\" [label=\"%s\", shape=box, style=\"rounded,filled\", "
				       "fillcolor=\"#dde8f7\"];\n",
				       en, el);
	}
	for (size_t i = 0; i < n_ctrs && out; i++) {
		struct eng_container *c = ctrs[i];
		enum eng_state st = eng_container_state(c);
		_cleanup_free_ char *en = dot_escape(c->name);
		_cleanup_free_ char *ei = dot_escape(json_string_value(json_object_get(c->j, "image")) ?: "");
		if (!en || !ei)
			break;
		out = berth_strappendf(out,
				       "\t\"ctr:%s\" [label=\"%s\\n%s\\n%s\", shape=ellipse, "
				       "style=filled, fillcolor=\"%s\"];\n",
				       en, en, ei, eng_state_name(st),
				       st == ENG_STATE_RUNNING ? "#d9f2d9" : "#f2f2f2");
		const char *net;
		json_t *att;
		json_object_foreach(json_object_get(c->j, "networks"), net, att) {
			char lab[512];
			int k = snprintf(lab, sizeof(lab), "%s",
					 json_string_value(json_object_get(att, "interface_name")) ?: "");
			json_t *ip;
			size_t x;
			json_array_foreach(json_object_get(json_object_get(c->j, "ips"), net), x, ip)
				if (k < (int)sizeof(lab) - 64)
					k += snprintf(lab + k, sizeof(lab) - (size_t)k, " %s",
						      json_string_value(ip));
			json_array_foreach(json_object_get(att, "aliases"), x, ip)
				if (k < (int)sizeof(lab) - 64)
					k += snprintf(lab + k, sizeof(lab) - (size_t)k, "\\nalias %s",
						      json_string_value(ip));
			_cleanup_free_ char *enet = dot_escape(net);
			_cleanup_free_ char *elab = dot_escape(lab);
			if (!enet || !elab)
				continue;
			for (char *p = elab; (p = strstr(p, "\\\\n")); p += 2)
				memmove(p, p + 1, strlen(p));
			out = berth_strappendf(out, "\t\"ctr:%s\" -> \"net:%s\" [label=\"%s\", dir=none%s];\n",
					       en, enet, elab,
					       json_array_size(json_object_get(c->j, "net_up"))
						   ? ""
						   : ", style=dashed");
		}
		json_t *pm;
		size_t x;
		json_array_foreach(json_object_get(c->j, "ports"), x, pm) {
			if (!out)
				break;
			const char *hip = json_string_value(json_object_get(pm, "host_ip"));
			out = berth_strappendf(
			    out, "\thost -> \"ctr:%s\" [label=\"%s%s%lld -> %lld/%s\", color=\"#aa5500\"];\n",
			    en, hip && *hip ? hip : "", hip && *hip ? ":" : "",
			    json_integer_value(json_object_get(pm, "host_port")),
			    json_integer_value(json_object_get(pm, "container_port")),
			    json_string_value(json_object_get(pm, "protocol")) ?: "tcp");
		}
	}
	return out ? berth_strappendf(out, "}\n") : NULL;
}

int cmd_network_graph(struct eng_ctx *ctx, int argc, char **argv)
{
	const char *format = "dot", *outfile = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--format") == 0 && i + 1 < argc)
			format = argv[++i];
		else if (strncmp(argv[i], "--format=", 9) == 0)
			format = argv[i] + 9;
		else if ((strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--output") == 0) &&
			 i + 1 < argc)
			outfile = argv[++i];
		else
			return eng_usage_fail("network graph", "unknown option %s", argv[i]);
	}
	if (strcmp(format, "dot") != 0 && strcmp(format, "svg") != 0)
		return eng_usage_fail("network graph", "--format must be dot or svg");
	_cleanup_berth_error_ struct berth_error *err = NULL;
	struct eng_network **nets;
	struct eng_container **ctrs;
	size_t n_nets, n_ctrs;
	if (eng_lock(ctx, &err) < 0 || eng_network_list(ctx, &nets, &n_nets, &err) < 0)
		return eng_fail(err);
	if (eng_container_list(ctx, &ctrs, &n_ctrs, &err) < 0) {
		eng_network_list_free(nets, n_nets);
		return eng_fail(err);
	}
	for (size_t i = 0; i < n_ctrs; i++)
		eng_container_refresh(ctx, ctrs[i]);
	_cleanup_free_ char *dot = build_dot(nets, n_nets, ctrs, n_ctrs);
	eng_network_list_free(nets, n_nets);
	eng_container_list_free(ctrs, n_ctrs);
	eng_unlock(ctx);
	if (!dot)
		return berth_error_set(&err, ENOMEM, "out of memory"), eng_fail(err);
	_cleanup_free_ char *svg = NULL;
	const char *text = dot;
	if (strcmp(format, "svg") == 0) {
		char *const dargv[] = {(char *)"dot", (char *)"-Tsvg", NULL};
		struct berth_proc_spec spec = {
			.path = "dot",
			.argv = dargv,
			.input = dot,
			.input_len = strlen(dot),
			.max_output = 16u << 20,
			.timeout_ms = 60000,
		};
		int status = 0;
		int r = berth_proc_run(&spec, &svg, NULL, &status);
		if (r == -ENOENT)
			return berth_error_set(&err, ENOENT,
					       "--format svg needs Graphviz's dot (apt-get install "
					       "graphviz); --format dot works without it"),
			       eng_fail(err);
		if (r < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			return berth_error_set(&err, EIO, "dot -Tsvg failed"), eng_fail(err);
		text = svg;
	}
	if (outfile) {
		int r = write_file_atomic(outfile, text, strlen(text), 0644);
		if (r < 0)
			return berth_error_errno(&err, r, BERTH_ERR_IO, "write %s", outfile),
			       eng_fail(err);
		return 0;
	}
	fputs(text, stdout);
	return 0;
}
