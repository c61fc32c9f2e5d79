// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the daemon's configuration file (user/daemon_config.c): the defaults, each key
 * taken, and what is refused (unknown keys, values out of range or of the wrong type, not an
 * object, not JSON). The refusals print their one line on stderr, as the daemon does.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "policy.h"
#include "unit.h"

static char file[] = "/tmp/kk-daemon-config-XXXXXX";

/* Write text as the configuration file and parse it into c. */
static int parse(const char *text, struct kk_daemon_cfg *c)
{
	FILE *f = fopen(file, "w");

	if (!f)
		return -errno;
	fputs(text, f);
	fclose(f);
	return kk_daemon_config(file, c);
}

UNIT_TEST(defaults_without_a_file)
{
	struct kk_daemon_cfg c;

	CHECK_EQ_INT(kk_daemon_config(NULL, &c), 0);
	CHECK_EQ_STR(c.audit_file, KK_AUDIT_FILE);
	CHECK_EQ_STR(c.socket_path, KK_EVENTS_SOCKET);
	CHECK(c.max_file_bytes == 64ull << 20);
	CHECK_EQ_INT(c.keep_files, 10);
	CHECK(c.max_unwritten_bytes == KK_SINK_UNWRITTEN_MAX);
	CHECK_EQ_INT(c.ocsp_timeout_ms, 5000);
	CHECK_EQ_INT(c.dns_refresh_s, 300);
	CHECK(c.expiry_warning_s == 7 * 86400);
	CHECK(!c.syslog);
	CHECK_EQ_STR(c.ocsp_url, "");
}

UNIT_TEST(every_key_taken)
{
	struct kk_daemon_cfg c;

	CHECK_EQ_INT(parse("{ // comments allowed\n \"audit_file\": \"/a.jsonl\", \"socket\": "
			   "\"/s.sock\", \"ocsp_url\": \"http://o\", \"syslog\": true, "
			   "\"max_file_bytes\": 4096, \"max_unwritten_bytes\": 8192, "
			   "\"keep_files\": 3, \"ocsp_timeout_ms\": 100, "
			   "\"dns_refresh_seconds\": 0, \"expiry_warning_seconds\": 3600 }", &c),
		     0);
	CHECK_EQ_STR(c.audit_file, "/a.jsonl");
	CHECK_EQ_STR(c.socket_path, "/s.sock");
	CHECK_EQ_STR(c.ocsp_url, "http://o");
	CHECK(c.syslog);
	CHECK(c.max_file_bytes == 4096);
	CHECK(c.max_unwritten_bytes == 8192);
	CHECK_EQ_INT(c.keep_files, 3);
	CHECK_EQ_INT(c.ocsp_timeout_ms, 100);
	CHECK_EQ_INT(c.dns_refresh_s, 0);
	CHECK(c.expiry_warning_s == 3600);
	CHECK_EQ_INT(parse("{\"expiry_warning_seconds\": 0}", &c), 0);
	CHECK(c.expiry_warning_s == 0);
}

UNIT_TEST(metrics_listen)
{
	static const char *const bad[] = {
		"{\"metrics\": \"127.0.0.1:9471\"}",
		"{\"metrics\": {}}",
		"{\"metrics\": {\"listen\": 9471}}",
		"{\"metrics\": {\"listen\": \"0.0.0.0:9471\"}}",
		"{\"metrics\": {\"listen\": \"192.168.1.2:9471\"}}",
		"{\"metrics\": {\"listen\": \"127.0.0.1:9471\", \"port\": 1}}",
	};
	struct kk_daemon_cfg c;
	size_t i;

	CHECK_EQ_INT(kk_daemon_config(NULL, &c), 0);
	CHECK_EQ_STR(c.metrics_listen, ""); /* no metrics unless asked for */
	CHECK_EQ_INT(parse("{\"metrics\": {\"listen\": \"127.0.0.1:9471\"}}", &c), 0);
	CHECK_EQ_STR(c.metrics_listen, "127.0.0.1:9471");
	CHECK_EQ_INT(parse("{\"metrics\": {\"listen\": \"unix:/run/kakunin/m.sock\"}}", &c), 0);
	CHECK_EQ_STR(c.metrics_listen, "unix:/run/kakunin/m.sock");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_EQ_INT(parse(bad[i], &c), -EINVAL);
}

UNIT_TEST(crl_keys)
{
	static const char text[] = "{\"crl_urls\": [\"http://a/x.crl\",\n"
				   "  \"https://b/y.crl\", 7, \"ldap://c\"],\n"
				   " \"crl_from_certificates\": \"no\"}";
	static const char *const want[] = {
		"f.json:2:3: crl_urls[1]: https is not supported (a CRL is signed: use its "
		"http:// URL)",
		"f.json:3:27: crl_from_certificates: must be true or false",
	};
	struct kk_errors e = { 0 };
	struct kk_daemon_cfg c;
	char line[512], many[2048];
	size_t i;
	int n;

	CHECK_EQ_INT(kk_daemon_config(NULL, &c), 0);
	CHECK_EQ_INT(c.n_crl_urls, 0);
	CHECK(c.crl_from_certificates); /* the distribution points, unless told not to */
	CHECK_EQ_INT(parse("{\"crl_urls\": [\"http://a/x.crl\", \"HTTP://127.0.0.1:8080/b\"], "
			   "\"crl_from_certificates\": false}", &c), 0);
	CHECK_EQ_INT(c.n_crl_urls, 2);
	CHECK_EQ_STR(c.crl_urls[0], "http://a/x.crl");
	CHECK_EQ_STR(c.crl_urls[1], "HTTP://127.0.0.1:8080/b");
	CHECK(!c.crl_from_certificates);
	CHECK_EQ_INT(parse("{\"crl_urls\": []}", &c), 0);
	CHECK_EQ_INT(c.n_crl_urls, 0);
	CHECK_EQ_INT(parse("{\"crl_urls\": \"http://a/x.crl\"}", &c), -EINVAL);
	CHECK_EQ_INT(parse("{\"crl_urls\": [\"http://\"]}", &c), -EINVAL);
	CHECK_EQ_INT(parse("{\"crl_urls\": [\"ftp://a/x\"]}", &c), -EINVAL);
	n = snprintf(many, sizeof(many), "{\"crl_urls\": [");
	for (i = 0; i <= KK_DAEMON_CRL_URLS; i++)
		n += snprintf(many + n, sizeof(many) - n, "%s\"http://h/%zu\"", i ? ", " : "", i);
	snprintf(many + n, sizeof(many) - n, "]}");
	CHECK_EQ_INT(parse(many, &c), -EINVAL);

	/* The first bad element is named and placed; the others wait for it to be fixed. */
	CHECK_EQ_INT(kk_daemon_config_parse("f.json", text, strlen(text), &c, &e), -EINVAL);
	CHECK_EQ_INT(e.n, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < e.n && i < sizeof(want) / sizeof(want[0]); i++) {
		kk_errors_format("f.json", &e.v[i], line, sizeof(line));
		CHECK_EQ_STR(line, want[i]);
	}
	kk_errors_free(&e);
}

UNIT_TEST(refusals)
{
	static const char *const bad[] = {
		"{\"colour\": 1}",		"{\"keep_files\": 0}",
		"{\"keep_files\": \"3\"}",	"{\"max_file_bytes\": 100}",
		"{\"syslog\": 1}",		"{\"ocsp_timeout_ms\": 600001}",
		"{\"dns_refresh_seconds\": -1}", "[1]",
		"{\"socket\": 5}",		"{\"expiry_warning_seconds\": -1}",
		"{\"expiry_warning_seconds\": 31536001}", "{\"expiry_warning_seconds\": \"7d\"}",
	};
	struct kk_daemon_cfg c;
	char longsock[200];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_EQ_INT(parse(bad[i], &c), -EINVAL);
	/* The socket path must fit sun_path. */
	snprintf(longsock, sizeof(longsock), "{\"socket\": \"/%0120d\"}", 0);
	CHECK_EQ_INT(parse(longsock, &c), -EINVAL);
	CHECK(parse("{\"audit_file\": ", &c) < 0);
	CHECK_EQ_INT(kk_daemon_config("/nonexistent/daemon.json", &c), -ENOENT);
}

/* Every problem, positioned and named like a policy's, in document order. */
UNIT_TEST(positioned_errors)
{
	static const char text[] = "{\"keep_files\": 3,\n  \"syslog\": 1, \"colour\": 2,\n"
				   " \"keep_files\": 4, \"max_file_bytes\": 4096.5,\n"
				   " \"socket\": [\"/s\"], \"dns_refresh_seconds\": \"60\"}";
	static const char *const want[] = {
		"f.json:2:13: syslog: must be true or false",
		"f.json:2:16: colour: unknown key (expected: audit_file, max_file_bytes, "
		"keep_files, max_unwritten_bytes, syslog, socket, ocsp_timeout_ms, ocsp_url, "
		"dns_refresh_seconds, expiry_warning_seconds, metrics, crl_urls, "
		"crl_from_certificates)",
		"f.json:3:2: keep_files: duplicate key (first at 1:2)",
		"f.json:3:37: max_file_bytes: must be an integer from 4096 to 1000000000000000",
		"f.json:4:12: socket: must be a string shorter than 108 bytes",
		"f.json:4:43: dns_refresh_seconds: must be an integer from 0 to 86400",
	};
	struct kk_errors e = { 0 };
	struct kk_daemon_cfg c;
	char line[512];
	size_t i;

	CHECK_EQ_INT(kk_daemon_config_parse("f.json", text, strlen(text), &c, &e), -EINVAL);
	CHECK_EQ_INT(e.n, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < e.n && i < sizeof(want) / sizeof(want[0]); i++) {
		kk_errors_format("f.json", &e.v[i], line, sizeof(line));
		CHECK_EQ_STR(line, want[i]);
	}
	kk_errors_free(&e);

	/* Not an object; a syntax error; both at their position. */
	CHECK_EQ_INT(kk_daemon_config_parse("f.json", "\n [1]", 5, &c, &e), -EINVAL);
	CHECK_EQ_INT(e.n, 1);
	if (e.n) {
		kk_errors_format("f.json", &e.v[0], line, sizeof(line));
		CHECK_EQ_STR(line, "f.json:2:2: the configuration must be a JSON object");
	}
	kk_errors_free(&e);
	CHECK_EQ_INT(kk_daemon_config_parse("f.json", "{\"syslog\" true}", 15, &c, &e), -EINVAL);
	CHECK_EQ_INT(e.n, 1);
	if (e.n) {
		kk_errors_format("f.json", &e.v[0], line, sizeof(line));
		CHECK_EQ_STR(line, "f.json:1:11: expected ':' after the key");
	}
	kk_errors_free(&e);
}

int main(void)
{
	int fd = mkstemp(file);

	if (fd < 0)
		return 1;
	close(fd);
	UNIT_RUN(defaults_without_a_file);
	UNIT_RUN(every_key_taken);
	UNIT_RUN(refusals);
	UNIT_RUN(metrics_listen);
	UNIT_RUN(crl_keys);
	UNIT_RUN(positioned_errors);
	unlink(file);
	return unit_done();
}
