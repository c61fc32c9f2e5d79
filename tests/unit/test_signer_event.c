// SPDX-License-Identifier: GPL-2.0-only
/*
 * The signer's audit events (action.signed, action.refused) as events render them
 * (user/output_event.c): the details the signer puts in the event's reason string (signer.c)
 * go under "action" (type, payload_sha256, fields) and at the top (reason, why, risk,
 * scope_check_passed, signature_valid, duration_ms); the text form lists them as key=value.
 */
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "events.h"
#include "kakunin.h"
#include "output.h"
#include "unit.h"

static const char refused[] =
	"{\"type\":\"trade\",\"payload_sha256\":\"ab12\",\"fields\":{\"size\":60000},"
	"\"reason\":\"out_of_scope\",\"why\":\"size 60000 above max 50000\",\"risk\":0.1,"
	"\"scope_check_passed\":false,\"signature_valid\":false,\"duration_ms\":0.25}";

UNIT_TEST(names)
{
	CHECK_EQ_STR(kk_event_type_name(KK_EV_ACTION_SIGNED), "action.signed");
	CHECK_EQ_STR(kk_event_type_name(KK_EV_ACTION_REFUSED), "action.refused");
	CHECK(kk_event_decision(KK_EV_ACTION_REFUSED) == NULL); /* not a kernel decision */
	CHECK(kk_event_matches(NULL, "action", KK_EV_ACTION_SIGNED, NULL));
	CHECK(kk_event_matches(NULL, "action.refused", KK_EV_ACTION_REFUSED, NULL));
}

UNIT_TEST(refused_json)
{
	struct kk_clock c = { 0 };
	struct kk_event ev;
	cJSON *o, *a;
	char *j;

	CHECK_EQ_INT(kk_event_agent(&ev, KK_EV_ACTION_REFUSED, 3, 7, 42, "bot", "0a1b", "v1",
				    refused), 0);
	j = kk_event_json(&ev, 9, &c, NULL);
	o = cJSON_Parse(j);
	CHECK(o != NULL);
	CHECK_EQ_STR(cJSON_GetObjectItem(o, "event_type")->valuestring, "action.refused");
	CHECK_EQ_STR(cJSON_GetObjectItem(o, "agent_id")->valuestring, "bot");
	CHECK_EQ_STR(cJSON_GetObjectItem(o, "agent_cert_serial")->valuestring, "0a1b");
	CHECK_EQ_INT((int)cJSON_GetObjectItem(o, "pid")->valuedouble, 42);
	CHECK_EQ_STR(cJSON_GetObjectItem(o, "reason")->valuestring, "out_of_scope");
	CHECK_EQ_STR(cJSON_GetObjectItem(o, "why")->valuestring, "size 60000 above max 50000");
	CHECK(cJSON_GetObjectItem(o, "risk")->valuedouble == 0.1);
	CHECK(cJSON_IsFalse(cJSON_GetObjectItem(o, "scope_check_passed")));
	CHECK(cJSON_IsFalse(cJSON_GetObjectItem(o, "signature_valid")));
	CHECK(cJSON_GetObjectItem(o, "duration_ms")->valuedouble == 0.25);
	a = cJSON_GetObjectItem(o, "action");
	CHECK_EQ_STR(cJSON_GetObjectItem(a, "type")->valuestring, "trade");
	CHECK_EQ_STR(cJSON_GetObjectItem(a, "payload_sha256")->valuestring, "ab12");
	CHECK((int)cJSON_GetObjectItem(cJSON_GetObjectItem(a, "fields"), "size")->valuedouble ==
	      60000);
	CHECK(cJSON_GetObjectItem(a, "reason") == NULL);
	cJSON_Delete(o);
	free(j);
}

UNIT_TEST(refused_text)
{
	struct kk_clock c = { 0 };
	struct kk_event ev;
	char *t;

	CHECK_EQ_INT(kk_event_agent(&ev, KK_EV_ACTION_REFUSED, 3, 7, 42, "bot", "0a1b", "v1",
				    refused), 0);
	t = kk_event_text(&ev, 9, &c, NULL);
	CHECK(t != NULL);
	CHECK(t && strstr(t, " #9 action.refused pid=42 agent=bot serial=0a1b policy=v1 type=trade "
			  "payload_sha256=ab12 reason=out_of_scope why=size 60000 above max 50000 "
			  "risk=0.1 scope_check_passed=false signature_valid=false "
			  "duration_ms=0.25") != NULL);
	free(t);
}

/* Details that are not JSON (not the signer's) are kept as the reason text. */
UNIT_TEST(not_json_kept_as_text)
{
	struct kk_clock c = { 0 };
	struct kk_event ev;
	cJSON *o;
	char *j;

	CHECK_EQ_INT(kk_event_agent(&ev, KK_EV_ACTION_SIGNED, 3, 7, 42, "bot", "0a1b", "v1",
				    "plain words"), 0);
	j = kk_event_json(&ev, 1, &c, NULL);
	o = cJSON_Parse(j);
	CHECK(o != NULL);
	CHECK_EQ_STR(cJSON_GetObjectItem(o, "reason")->valuestring, "plain words");
	cJSON_Delete(o);
	free(j);
}

/* The egress's action.connected: upstream and listen under "action", the rest at the top. */
UNIT_TEST(egress_connected)
{
	static const char d[] = "{\"upstream\":\"api.x:443\",\"listen\":\"127.0.0.1:18443\","
				"\"bytes_up\":12,\"bytes_down\":3456,\"end\":\"revoked\","
				"\"why\":\"certificate serial 0a1b is revoked\",\"duration_ms\":250}";
	struct kk_clock c = { 0 };
	struct kk_event ev;
	cJSON *o, *a;
	char *j, *t;

	CHECK_EQ_STR(kk_event_type_name(KK_EV_ACTION_CONNECTED), "action.connected");
	CHECK(kk_event_matches(NULL, "action", KK_EV_ACTION_CONNECTED, NULL));
	CHECK_EQ_INT(kk_event_agent(&ev, KK_EV_ACTION_CONNECTED, 3, 7, 42, "bot", "0a1b", "v1",
				    d), 0);
	j = kk_event_json(&ev, 9, &c, NULL);
	o = cJSON_Parse(j);
	free(j);
	CHECK(o != NULL);
	CHECK_EQ_STR(cJSON_GetObjectItem(o, "event_type")->valuestring, "action.connected");
	CHECK_EQ_INT((int)cJSON_GetObjectItem(o, "bytes_up")->valuedouble, 12);
	CHECK_EQ_INT((int)cJSON_GetObjectItem(o, "bytes_down")->valuedouble, 3456);
	CHECK_EQ_STR(cJSON_GetObjectItem(o, "end")->valuestring, "revoked");
	a = cJSON_GetObjectItem(o, "action");
	CHECK_EQ_STR(cJSON_GetObjectItem(a, "upstream")->valuestring, "api.x:443");
	CHECK_EQ_STR(cJSON_GetObjectItem(a, "listen")->valuestring, "127.0.0.1:18443");
	CHECK(cJSON_GetObjectItem(o, "upstream") == NULL);
	cJSON_Delete(o);
	t = kk_event_text(&ev, 9, &c, NULL);
	CHECK(t && strstr(t, " #9 action.connected pid=42 agent=bot serial=0a1b policy=v1 "
			  "upstream=api.x:443 listen=127.0.0.1:18443 bytes_up=12 bytes_down=3456 "
			  "end=revoked why=certificate serial 0a1b is revoked duration_ms=250") != NULL);
	free(t);
}

int main(void)
{
	UNIT_RUN(names);
	UNIT_RUN(egress_connected);
	UNIT_RUN(refused_json);
	UNIT_RUN(refused_text);
	UNIT_RUN(not_json_kept_as_text);
	return unit_done();
}
