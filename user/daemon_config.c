// SPDX-License-Identifier: GPL-2.0-only
/*
 * daemon_config — the daemon's configuration file (daemon.h): JSONC, defaults for what it leaves
 * out, unknown keys and out-of-range values refused naming the key. Reported under "daemon",
 * whose start it ends.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "daemon.h"
#include "jsonc.h"
#include "log.h"
#include "metrics.h"

static int set_string(const char *file, const cJSON *v, char *dst, size_t len)
{
	if (!cJSON_IsString(v) || strlen(v->valuestring) >= len) {
		kk_err("daemon", "%s: %s: must be a string shorter than %zu bytes", file, v->string,
		       len);
		return -EINVAL;
	}
	strcpy(dst, v->valuestring);
	return 0;
}

static int set_number(const char *file, const cJSON *v, double min, double max, double *out)
{
	if (!cJSON_IsNumber(v) || v->valuedouble < min || v->valuedouble > max) {
		kk_err("daemon", "%s: %s: must be a number from %.0f to %.0f", file, v->string, min,
		       max);
		return -EINVAL;
	}
	*out = v->valuedouble;
	return 0;
}

/*
 * "metrics": {"listen": "127.0.0.1:9471" | "[::1]:9471" | "unix:/run/kakunin/metrics.sock"},
 * checked whole here: only loopback addresses (metrics.h), no other member.
 */
static int set_metrics(const char *file, const cJSON *v, struct kk_daemon_cfg *c)
{
	struct sockaddr_storage ss;
	const cJSON *m, *listen = NULL;
	unsigned int len;
	char why[256];

	if (!cJSON_IsObject(v)) {
		kk_err("daemon",
		       "%s: metrics: must be an object like {\"listen\": \"127.0.0.1:9471\"}", file);
		return -EINVAL;
	}
	cJSON_ArrayForEach(m, v) {
		if (strcmp(m->string, "listen")) {
			kk_err("daemon", "%s: metrics.%s: unknown key (listen)", file, m->string);
			return -EINVAL;
		}
		listen = m;
	}
	if (!listen) {
		kk_err("daemon", "%s: metrics: needs \"listen\" (127.0.0.1:PORT, [::1]:PORT or "
		       "unix:PATH)", file);
		return -EINVAL;
	}
	if (!cJSON_IsString(listen) ||
	    strlen(listen->valuestring) >= sizeof(c->metrics_listen)) {
		kk_err("daemon", "%s: metrics.listen: must be a string shorter than %zu bytes",
		       file, sizeof(c->metrics_listen));
		return -EINVAL;
	}
	if (kk_metrics_listen_parse(listen->valuestring, &ss, &len, why, sizeof(why))) {
		kk_err("daemon", "%s: metrics.listen: %s", file, why);
		return -EINVAL;
	}
	strcpy(c->metrics_listen, listen->valuestring);
	return 0;
}

static int apply_one(const char *file, const cJSON *v, struct kk_daemon_cfg *c)
{
	const char *k = v->string;
	double n;
	int err;

	if (!strcmp(k, "audit_file"))
		return set_string(file, v, c->audit_file, sizeof(c->audit_file));
	if (!strcmp(k, "socket"))
		return set_string(file, v, c->socket_path, sizeof(c->socket_path));
	if (!strcmp(k, "ocsp_url"))
		return set_string(file, v, c->ocsp_url, sizeof(c->ocsp_url));
	if (!strcmp(k, "metrics"))
		return set_metrics(file, v, c);
	if (!strcmp(k, "syslog")) {
		if (!cJSON_IsBool(v)) {
			kk_err("daemon", "%s: syslog: must be true or false", file);
			return -EINVAL;
		}
		c->syslog = cJSON_IsTrue(v);
		return 0;
	}
	if (!strcmp(k, "max_file_bytes")) {
		err = set_number(file, v, 4096, 1e15, &n);
		c->max_file_bytes = err ? c->max_file_bytes : (uint64_t)n;
	} else if (!strcmp(k, "max_unwritten_bytes")) {
		err = set_number(file, v, 4096, 1e12, &n);
		c->max_unwritten_bytes = err ? c->max_unwritten_bytes : (uint64_t)n;
	} else if (!strcmp(k, "keep_files")) {
		err = set_number(file, v, 1, 1000, &n);
		c->keep_files = err ? c->keep_files : (int)n;
	} else if (!strcmp(k, "ocsp_timeout_ms")) {
		err = set_number(file, v, 100, 600000, &n);
		c->ocsp_timeout_ms = err ? c->ocsp_timeout_ms : (int)n;
	} else if (!strcmp(k, "dns_refresh_seconds")) {
		err = set_number(file, v, 0, 86400, &n);
		c->dns_refresh_s = err ? c->dns_refresh_s : (int)n;
	} else if (!strcmp(k, "expiry_warning_seconds")) {
		err = set_number(file, v, 0, 31536000, &n);
		c->expiry_warning_s = err ? c->expiry_warning_s : (int64_t)n;
	} else {
		kk_err("daemon", "%s: %s: unknown key (audit_file, max_file_bytes, keep_files, "
		       "max_unwritten_bytes, syslog, socket, ocsp_timeout_ms, ocsp_url, "
		       "dns_refresh_seconds, expiry_warning_seconds, metrics)", file, k);
		err = -EINVAL;
	}
	return err;
}

static int apply(const char *file, const cJSON *root, struct kk_daemon_cfg *c)
{
	const cJSON *v;
	int err;

	cJSON_ArrayForEach(v, root) {
		err = apply_one(file, v, c);
		if (err)
			return err;
	}
	return 0;
}

int kk_daemon_config(const char *file, struct kk_daemon_cfg *c)
{
	char why[256], *text = NULL;
	struct kk_jsonc j;
	int err, line, col;
	size_t len = 0;
	FILE *f;

	memset(c, 0, sizeof(*c));
	snprintf(c->audit_file, sizeof(c->audit_file), "%s", KK_AUDIT_FILE);
	snprintf(c->socket_path, sizeof(c->socket_path), "%s", KK_EVENTS_SOCKET);
	c->max_file_bytes = 64ull << 20;
	c->keep_files = 10;
	c->max_unwritten_bytes = KK_SINK_UNWRITTEN_MAX;
	c->ocsp_timeout_ms = 5000;
	c->dns_refresh_s = 300;
	c->expiry_warning_s = KK_EXPIRY_WARNING_S;
	if (!file)
		return 0;
	f = fopen(file, "re");
	if (!f) {
		err = -errno; /* before kk_err's stdio can change errno */
		kk_err("daemon", "%s: %s", file, strerror(-err));
		return err;
	}
	text = calloc(1, 1 << 20);
	if (text)
		len = fread(text, 1, (1 << 20) - 1, f);
	fclose(f);
	err = text ? kk_jsonc_parse(text, len, &j, &line, &col, why, sizeof(why)) : -ENOMEM;
	free(text);
	if (err) {
		kk_err("daemon", "%s:%d:%d: %s", file, line, col, why);
		return err;
	}
	if (!cJSON_IsObject(j.root)) {
		kk_err("daemon", "%s: the configuration must be a JSON object", file);
		err = -EINVAL;
	} else {
		err = apply(file, j.root, c);
	}
	kk_jsonc_free(&j);
	return err;
}
