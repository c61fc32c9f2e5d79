// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the state directory (user/state.c) and of reading a canonical policy back
 * (kk_policy_load_canonical, user/policy_canon.c): a binding's record and its copies of the
 * policy, certificate and CA bundle, their modes, their atomic replacement at rotate, their
 * removal, and records written before the copies. KAKUNIN_STATE_DIR points into a mkdtemp
 * directory; the certificates are made there with the openssl CLI.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DIR_TEMPLATE "/tmp/kk-state-XXXXXX"
#include "cert_fixture.h"
#include "identity.h"
#include "policy.h"
#include "state.h"

static char state[sizeof(DIR_TEMPLATE) + 8], fpr_a[65], fpr_b[65];

/* A policy with a value in every member the canonical form writes, and comments. */
static const char rich[] =
	"{ // comment\n"
	"  \"agent_id\": \"trading_bot_v2\", \"version\": \"1.0.0\", \"mode\": \"audit\",\n"
	"  \"baseline\": false, \"audit\": \"all\", \"allow_jit\": true, \"ipc\": \"none\",\n"
	"  \"execution_constraints\": { \"allowed_regions\": [\"eu-west-1\", \"eu-central-1\"],\n"
	"    \"allowed_hours\": \"22:00-06:30 UTC\", \"max_concurrent_trades\": 5,\n"
	"    \"rate_limit\": \"100 trades/hour\" },\n"
	"  \"data_access\": { \"/secrets/*\": [], \"/data/*\": [\"write\", \"read\"] },\n"
	"  \"exec\": [\"/usr/bin/python3\", \"/bin/sh\"],\n"
	"  \"network_rules\": { \"allowed_hosts\": [\"api.exchange.com\", \"10.1.0.0/16\",\n"
	"    \"[2001:db8::1]:443\"],\n"
	"    \"denied_hosts\": [\"*.internal.local\", \"169.254.169.254\"],\n"
	"    \"allowed_socket_types\": [\"raw\"], \"listen\": [\"8080\", \"10.0.0.0/8:9000\"] },\n"
	"  \"revocation_check\": { \"enabled\": true, \"cache_ttl_seconds\": 5,\n"
	"    \"fail_open\": true },\n"
	"  \"auto_revoke\": { \"max_denials\": 20, \"window_seconds\": 60 }\n"
	"}\n";

/* The fewest members: every other one absent, written as null in the canonical form. */
static const char bare[] = "{\"agent_id\": \"a\", \"version\": \"1\"}";

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

/* The whole of a small file, in one of two buffers ("" when it cannot be read). */
static const char *slurp(const char *path)
{
	static char bufs[2][8192];
	static int n;
	char *b = bufs[n++ % 2];
	int fd = open(path, O_RDONLY);
	ssize_t len = fd < 0 ? 0 : read(fd, b, sizeof(bufs[0]) - 1);

	b[len > 0 ? len : 0] = '\0';
	if (fd >= 0)
		close(fd);
	return b;
}

static int mode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : (int)(st.st_mode & 07777);
}

static const char *S(const char *fmt, unsigned a, unsigned b)
{
	static char bufs[4][PATH_MAX];
	static int n;
	char *buf = bufs[n++ % 4], name[64];

	snprintf(name, sizeof(name), fmt, a, b);
	snprintf(buf, PATH_MAX, "%s/bindings/%s", state, name);
	return buf;
}

static int fingerprint(const char *cert, char out[65])
{
	struct kk_identity id;
	char why[256];
	int err = kk_identity_load(cert, &id, why, sizeof(why));

	if (err)
		printf("# %s\n", why);
	else
		snprintf(out, 65, "%s", id.fingerprint);
	kk_identity_free(&id);
	return err;
}

UNIT_TEST(fixtures)
{
	char cmd[4 * PATH_MAX];

	snprintf(tmpdir, sizeof(tmpdir), "%s", DIR_TEMPLATE);
	CHECK(mkdtemp(tmpdir) != NULL);
	snprintf(dir, sizeof(dir), "%s/certs", tmpdir);
	CHECK_EQ_INT(mkdir(dir, 0700), 0);
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && for n in a b; do openssl req -x509 -newkey ec -pkeyopt "
		 "ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=$n -keyout $n.key -out $n.pem "
		 "2>/dev/null || exit 1; done && cat a.pem b.pem >ca.pem", dir);
	CHECK_EQ_INT(system(cmd), 0);
	CHECK_EQ_INT(fingerprint(P("a.pem"), fpr_a), 0);
	CHECK_EQ_INT(fingerprint(P("b.pem"), fpr_b), 0);
	/* Not there yet: the first save makes it, private. */
	snprintf(state, sizeof(state), "%s/state", tmpdir);
	CHECK_EQ_INT(setenv("KAKUNIN_STATE_DIR", state, 1), 0);
}

/* Binding slot/gen recorded with copies of a.pem, ca.pem and the canonical form of text. */
static int bind_one(uint32_t slot, uint32_t gen, const char *text, struct kk_binding_meta *b)
{
	struct kk_errors e = { 0 };
	struct kk_policy p;
	char why[PATH_MAX + 128];
	int err;

	*b = (struct kk_binding_meta){ .slot = slot, .gen = gen, .canonical = true, .ocsp = true,
				       .ttl_s = 5, .fail_open = true };
	err = kk_policy_parse("p.json", text, strlen(text), &p, &e);
	if (!err) {
		kk_policy_hash_hex(&p, b->policy_hash);
		err = kk_meta_copy_policy(b, p.canonical);
		kk_policy_free(&p);
	}
	kk_errors_free(&e);
	err = err ?: kk_meta_copy_cert(b, P("a.pem"), P("ca.pem"), fpr_a, why, sizeof(why));
	if (err)
		printf("# bind_one: %s\n", why);
	return err ?: kk_meta_save(b);
}

UNIT_TEST(record_round_trip)
{
	struct kk_binding_meta b, r;

	CHECK_EQ_INT(bind_one(3, 7, rich, &b), 0);
	CHECK_EQ_STR(b.policy, S("%u-%u.policy.json", 3, 7));
	CHECK_EQ_STR(b.cert, S("%u-%u.cert.pem", 3, 7));
	CHECK_EQ_STR(b.ca, S("%u-%u.ca.pem", 3, 7));
	CHECK_EQ_INT(kk_meta_load(3, &r), 0);
	CHECK_EQ_INT(r.slot, 3);
	CHECK_EQ_INT(r.gen, 7);
	CHECK(r.canonical && r.ocsp && r.fail_open && !r.offline);
	CHECK_EQ_INT(r.ttl_s, 5);
	CHECK_EQ_STR(r.policy, b.policy);
	CHECK_EQ_STR(r.cert, b.cert);
	CHECK_EQ_STR(r.ca, b.ca);
	CHECK_EQ_STR(r.policy_hash, b.policy_hash);
	CHECK(strstr(slurp(S("%u.json", 3, 0)), "\"format\":\t2") != NULL);
	/* The copies are the files, byte for byte. */
	CHECK_EQ_STR(slurp(r.cert), slurp(P("a.pem")));
	CHECK_EQ_STR(slurp(r.ca), slurp(P("ca.pem")));
	CHECK_EQ_INT(kk_meta_load(4, &r), -ENOENT);
}

/* The state directory, bindings/ and every file in it are the owner's only, whatever umask. */
UNIT_TEST(copies_are_private)
{
	struct kk_binding_meta b;
	mode_t old = umask(0);
	int rc = bind_one(5, 1, bare, &b);

	umask(old);
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(mode_of(state), 0700);
	CHECK_EQ_INT(mode_of(S("%.0u%.0u", 0, 0) /* bindings/ itself */), 0700);
	CHECK_EQ_INT(mode_of(S("%u.json", 5, 0)), 0600);
	CHECK_EQ_INT(mode_of(b.policy), 0600);
	CHECK_EQ_INT(mode_of(b.cert), 0600);
	CHECK_EQ_INT(mode_of(b.ca), 0600);
}

/*
 * Rotation replaces the certificate copy by rename: a reader of the old copy keeps reading all
 * of it, the next open sees all of the new one, a leftover temporary file of another mode is no
 * template for the new copy, and none is left behind.
 */
UNIT_TEST(rotate_replaces_atomically)
{
	struct kk_binding_meta b, r;
	char why[PATH_MAX + 128], tmp[PATH_MAX + 8], old[8192];
	struct stat before, after;
	ssize_t n;
	int fd;

	CHECK_EQ_INT(bind_one(6, 2, rich, &b), 0);
	snprintf(tmp, sizeof(tmp), "%s.tmp", b.cert);
	CHECK_EQ_INT(write_file(tmp, "stale"), 0);
	CHECK_EQ_INT(chmod(tmp, 0644), 0);
	CHECK_EQ_INT(stat(b.cert, &before), 0);
	fd = open(b.cert, O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ_INT(kk_meta_rotate(6, P("b.pem"), P("ca.pem"), fpr_b, why, sizeof(why)), 0);
	n = read(fd, old, sizeof(old) - 1);
	close(fd);
	CHECK(n > 0);
	old[n] = '\0';
	CHECK_EQ_STR(old, slurp(P("a.pem")));
	CHECK_EQ_INT(kk_meta_load(6, &r), 0);
	CHECK_EQ_STR(r.cert, b.cert);
	CHECK_EQ_STR(r.policy, b.policy);
	CHECK(r.canonical);
	CHECK_EQ_STR(slurp(r.cert), slurp(P("b.pem")));
	CHECK_EQ_INT(stat(r.cert, &after), 0);
	CHECK(after.st_ino != before.st_ino);
	CHECK_EQ_INT(mode_of(r.cert), 0600);
	CHECK_EQ_INT(access(tmp, F_OK), -1);
}

/* A certificate file replaced after it was verified is not copied; the copies there stay. */
UNIT_TEST(copy_refuses_another_certificate)
{
	struct kk_binding_meta b;
	char why[PATH_MAX + 128] = "", tmp[PATH_MAX + 8];

	CHECK_EQ_INT(bind_one(7, 1, bare, &b), 0);
	/* With another CA bundle too: the pair of copies stays as it was, CA included. */
	CHECK_EQ_INT(kk_meta_rotate(7, P("b.pem"), P("b.pem"), fpr_a, why, sizeof(why)),
		     -ESTALE);
	CHECK(strstr(why, "replaced by another certificate since it was verified") != NULL);
	CHECK_EQ_STR(slurp(b.cert), slurp(P("a.pem")));
	CHECK_EQ_STR(slurp(b.ca), slurp(P("ca.pem")));
	snprintf(tmp, sizeof(tmp), "%s.tmp", b.cert);
	CHECK_EQ_INT(access(tmp, F_OK), -1);
	snprintf(tmp, sizeof(tmp), "%s.tmp", b.ca);
	CHECK_EQ_INT(access(tmp, F_OK), -1);
	/* Missing files say which. */
	CHECK_EQ_INT(kk_meta_rotate(7, P("gone.pem"), P("ca.pem"), fpr_a, why, sizeof(why)),
		     -ENOENT);
	CHECK(strstr(why, "gone.pem: No such file or directory") != NULL);
	CHECK_EQ_INT(kk_meta_rotate(9, P("a.pem"), P("ca.pem"), fpr_a, why, sizeof(why)), -ENOENT);
}

/* Removing slot 1 removes its record and its copies of every generation, not slot 11's. */
UNIT_TEST(remove_takes_every_copy_of_the_slot)
{
	struct kk_binding_meta b;

	CHECK_EQ_INT(bind_one(1, 4, bare, &b), 0);
	CHECK_EQ_INT(bind_one(11, 4, bare, &b), 0);
	CHECK_EQ_INT(write_file(S("%u-%u.cert.pem", 1, 3), "left by a bind that died"), 0);
	kk_meta_remove(1);
	CHECK_EQ_INT(access(S("%u.json", 1, 0), F_OK), -1);
	CHECK_EQ_INT(access(S("%u-%u.policy.json", 1, 4), F_OK), -1);
	CHECK_EQ_INT(access(S("%u-%u.cert.pem", 1, 4), F_OK), -1);
	CHECK_EQ_INT(access(S("%u-%u.ca.pem", 1, 4), F_OK), -1);
	CHECK_EQ_INT(access(S("%u-%u.cert.pem", 1, 3), F_OK), -1);
	CHECK_EQ_INT(access(S("%u.json", 11, 0), F_OK), 0);
	CHECK_EQ_INT(access(S("%u-%u.policy.json", 11, 4), F_OK), 0);
	CHECK_EQ_INT(access(S("%u-%u.cert.pem", 11, 4), F_OK), 0);
	kk_meta_remove(11);
	CHECK_EQ_INT(access(S("%u-%u.cert.pem", 11, 4), F_OK), -1);
	kk_meta_remove(12); /* nothing there: nothing happens */
}

/* Who a binding was outlives it: kk_meta_remove retains the record, for late events. */
UNIT_TEST(who_is_retained_after_the_binding)
{
	const struct kk_who_rec w = { "trading_bot_v2", "0a1b", "2026.06.1" };
	struct kk_who_rec r;

	CHECK_EQ_INT(kk_who_save(3, 9, &w), 0);
	CHECK_EQ_INT(kk_who_load(3, 9, &r), 0);
	CHECK_EQ_STR(r.agent_id, "trading_bot_v2");
	CHECK_EQ_INT(kk_who_load(3, 8, &r), -ENOENT); /* another generation */
	kk_meta_remove(3);
	CHECK_EQ_INT(access(S("%u-%u.who.json", 3, 9), F_OK), -1);
	CHECK_EQ_INT(access(S("ended/%u-%u.json", 3, 9), F_OK), 0);
	CHECK_EQ_INT(kk_who_load(3, 9, &r), 0);
	CHECK_EQ_STR(r.agent_id, "trading_bot_v2");
	CHECK_EQ_STR(r.serial, "0a1b");
	CHECK_EQ_STR(r.policy_version, "2026.06.1");
}

/* Retained records past KK_WHO_KEEP_S are pruned when the next binding ends. */
UNIT_TEST(who_retained_records_are_pruned_by_age)
{
	const struct kk_who_rec w = { "a", "", "" };
	struct timespec old[2] = { { .tv_sec = time(NULL) - KK_WHO_KEEP_S - 60 } };
	struct kk_who_rec r;

	old[1] = old[0];
	CHECK_EQ_INT(kk_who_save(4, 1, &w), 0);
	kk_meta_remove(4);
	CHECK_EQ_INT(utimensat(AT_FDCWD, S("ended/%u-%u.json", 4, 1), old, 0), 0);
	CHECK_EQ_INT(kk_who_save(5, 1, &w), 0);
	kk_meta_remove(5);
	CHECK_EQ_INT(kk_who_load(4, 1, &r), -ENOENT);
	CHECK_EQ_INT(kk_who_load(5, 1, &r), 0);
}

/* A record of before the copies (no "format") still loads, naming the user's files. */
UNIT_TEST(format_1_record_loads)
{
	struct kk_binding_meta r;
	char text[1024];

	snprintf(text, sizeof(text),
		 "{\"slot\": 8, \"gen\": 2, \"cert\": \"/home/u/agent.pem\", \"ca\": "
		 "\"/etc/kakunin/ca.pem\", \"policy\": \"/home/u/p.json\", \"offline\": false, "
		 "\"ocsp\": true, \"ttl\": 30, \"fail_open\": false, \"policy_hash\": \"%064d\"}",
		 0);
	CHECK_EQ_INT(write_file(S("%u.json", 8, 0), text), 0);
	CHECK_EQ_INT(kk_meta_load(8, &r), 0);
	CHECK(!r.canonical);
	CHECK_EQ_INT(r.gen, 2);
	CHECK_EQ_STR(r.cert, "/home/u/agent.pem");
	CHECK_EQ_STR(r.policy, "/home/u/p.json");
	CHECK(r.ocsp && !r.fail_open);
	CHECK_EQ_INT(r.ttl_s, 30);
	kk_meta_remove(8);
}

/* The canonical form read back is the same policy: the same canonical text, the same hash. */
static void check_round_trip(const char *name, const char *text)
{
	struct kk_errors e = { 0 }, e2 = { 0 };
	struct kk_policy p, q;
	int rc;

	rc = kk_policy_parse(name, text, strlen(text), &p, &e);
	if (rc)
		kk_errors_print(stdout, name, &e);
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(write_file(P("canon.json"), p.canonical), 0);
	rc = kk_policy_load_canonical(P("canon.json"), &q, &e2);
	if (rc)
		kk_errors_print(stdout, name, &e2);
	if (!rc) {
		CHECK_EQ_STR(q.canonical, p.canonical);
		CHECK(!memcmp(q.hash, p.hash, sizeof(p.hash)));
		kk_policy_free(&q);
	}
	kk_policy_free(&p);
	kk_errors_free(&e);
	kk_errors_free(&e2);
	CHECK_EQ_INT(rc, 0);
}

UNIT_TEST(canonical_policy_reads_back)
{
	static const char *const shipped[] = { "trading-bot.json", "data-processor.json" };
	char path[PATH_MAX], text[8192];
	size_t i;

	check_round_trip("rich", rich);
	check_round_trip("bare", bare);
	/* The example policies, found from this source file as cert_fixture.h finds its scripts. */
	for (i = 0; i < sizeof(shipped) / sizeof(shipped[0]) && !unit_cur_failed; i++) {
		CHECK_EQ_INT(find_script("", path, sizeof(path)), 0);
		snprintf(path + strlen(path), sizeof(path) - strlen(path), "../../policies/%s",
			 shipped[i]);
		snprintf(text, sizeof(text), "%s", slurp(path));
		CHECK(text[0] != '\0');
		check_round_trip(shipped[i], text);
	}
}

UNIT_TEST(canonical_load_refuses_a_user_policy)
{
	struct kk_errors e = { 0 };
	struct kk_policy q;

	CHECK_EQ_INT(write_file(P("user.json"), rich), 0);
	CHECK_EQ_INT(kk_policy_load_canonical(P("user.json"), &q, &e), -EINVAL);
	CHECK_EQ_INT(e.n, 1);
	CHECK_EQ_STR(e.v[0].reason, "not a canonical policy of format kakunin-policy/1");
	kk_errors_free(&e);
	CHECK_EQ_INT(kk_policy_load_canonical(P("none.json"), &q, &e), -ENOENT);
	kk_errors_free(&e);
}

int main(void)
{
	UNIT_RUN(fixtures);
	if (!unit_failed) {
		UNIT_RUN(record_round_trip);
		UNIT_RUN(copies_are_private);
		UNIT_RUN(rotate_replaces_atomically);
		UNIT_RUN(copy_refuses_another_certificate);
		UNIT_RUN(remove_takes_every_copy_of_the_slot);
		UNIT_RUN(format_1_record_loads);
		UNIT_RUN(who_is_retained_after_the_binding);
		UNIT_RUN(who_retained_records_are_pruned_by_age);
		UNIT_RUN(canonical_policy_reads_back);
		UNIT_RUN(canonical_load_refuses_a_user_policy);
	}
	remove_fixtures();
	return unit_done();
}
