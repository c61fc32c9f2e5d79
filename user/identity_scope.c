// SPDX-License-Identifier: GPL-2.0-only
/*
 * identity_scope — the certificate's actions-scope extension (KK_SCOPE_OID, identity.h): a DER
 * UTF8String holding an "actions" section's JSON, which the CA attests as it attests the policy
 * hash. Parsed by the policy module's own section parser, so a certificate's scope and a
 * policy's mean the same and fail the same way (docs/identity.md, docs/policy.md).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "actions.h"
#include "error.h"
#include "identity.h"
#include "policy.h"

/* The first of errs as "LINE:COL: field: reason (and N more)" into e->why. */
static int parse_error(struct kk_error *e, const char *what, const struct kk_errors *errs, int code)
{
	const struct kk_policy_error *x = errs->n ? &errs->v[0] : NULL;
	char more[40] = "";

	if (!x)
		return kk_error_set(e, code, what, "scope extension (%s): %s", KK_SCOPE_OID,
				    strerror(-code));
	if (errs->n > 1)
		snprintf(more, sizeof(more), " (and %zu more)", errs->n - 1);
	return kk_error_set(e, code, what, "scope extension: %d:%d: %s%s%s%s", x->line, x->col,
			    x->field, x->field[0] ? ": " : "", x->reason, more);
}

int kk_scope_ext_get(const char *cert_path_or_NULL, X509 *cert, struct kk_actions **out,
		     struct kk_error *e)
{
	ASN1_OBJECT *oid = OBJ_txt2obj(KK_SCOPE_OID, 1); /* dotted only: no NID registered */
	struct kk_errors errs = { 0 };
	const ASN1_OCTET_STRING *raw;
	ASN1_UTF8STRING *val = NULL;
	const unsigned char *p, *end;
	char what[128];
	int i, err = -EINVAL;

	*out = NULL;
	snprintf(what, sizeof(what), "certificate%s%.100s", cert_path_or_NULL ? " " : "",
		 cert_path_or_NULL ? cert_path_or_NULL : "");
	if (!oid)
		return kk_error_set(e, -ENOMEM, what, "out of memory");
	i = X509_get_ext_by_OBJ(cert, oid, -1);
	if (i < 0) {
		err = 0;
		goto out;
	}
	if (X509_get_ext_by_OBJ(cert, oid, i) >= 0) {
		kk_error_set(e, err, what, "more than one scope extension (%s)", KK_SCOPE_OID);
		goto out;
	}
	raw = X509_EXTENSION_get_data(X509_get_ext(cert, i));
	p = ASN1_STRING_get0_data(raw);
	end = p + ASN1_STRING_length(raw);
	val = d2i_ASN1_UTF8STRING(NULL, &p, end - p);
	if (!val || p != end) {
		kk_error_set(e, err, what, "scope extension (%s) is not a DER UTF8String",
			     KK_SCOPE_OID);
		goto out;
	}
	err = kk_actions_parse(what, (const char *)ASN1_STRING_get0_data(val),
			       (size_t)ASN1_STRING_length(val), out, &errs);
	if (err)
		parse_error(e, what, &errs, err);
out:
	kk_errors_free(&errs);
	ASN1_UTF8STRING_free(val);
	ASN1_OBJECT_free(oid);
	return err;
}
