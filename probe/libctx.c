/* The OpenSSL library context the probe's TLS contexts live in (see probe_tls.h).
 *
 * OpenSSL 3.0 turns a certificate's public key into a key object through its decoder
 * machinery, and on every certificate it walks every decoder the loaded providers offer (41
 * in the default provider), then every pair of them looking for chains (openssl/openssl
 * issues 17950 and 19119; 3.1 and later cache the walk). A probe parses two or three
 * certificates a handshake, and that walk cost as much as the handshake's signature checks
 * together: about a third of fixorigin's CPU on a fleet of healthy origins.
 *
 * The handshake only ever decodes SubjectPublicKeyInfo (certificates; the probe loads no
 * private key). So the probe's context loads the default provider through a thin provider
 * of our own that offers the default provider's own algorithm tables, its own provider
 * context and its own capabilities (the TLS groups and signature algorithms), except that
 * its decoder table lists only the DER SubjectPublicKeyInfo decoders. Every key exchange,
 * signature, cipher, digest and key decode is the default provider's code; only the walk
 * is shorter. When any of it cannot be set up the probe uses OpenSSL's default context. */
#include <pthread.h>
#include <string.h>

#include <openssl/core_dispatch.h>
#include <openssl/err.h>
#include <openssl/provider.h>

#include "probe_tls.h"

/* The default provider's dispatch table has 8 entries in OpenSSL 3.0, 41 decoders. */
#define MAX_DISPATCH 32
#define MAX_DECODERS 64
#define PROVIDER_NAME "fixorigin-probe"

static struct {
    pthread_once_t once;
    OSSL_LIB_CTX *inner_ctx; /* where the default provider itself is loaded */
    OSSL_PROVIDER *inner;
    OSSL_FUNC_provider_query_operation_fn *inner_query;
    OSSL_DISPATCH dispatch[MAX_DISPATCH];
    OSSL_ALGORITHM decoders[MAX_DECODERS];
    OSSL_LIB_CTX *ctx; /* the probe's; NULL: OpenSSL's default context */
} lean = {.once = PTHREAD_ONCE_INIT};

static const OSSL_ALGORITHM *lean_query(void *provctx, int operation_id, int *no_cache)
{
    if (operation_id == OSSL_OP_DECODER) {
        *no_cache = 0;
        return lean.decoders;
    }
    /* cppcheck does not see OpenSSL's OSSL_CORE_MAKE_FUNC typedef, so it takes this
     * function pointer's result for an int: a false positive. */
    // cppcheck-suppress CastIntegerToAddressAtReturn
    return lean.inner_query(provctx, operation_id, no_cache);
}

/* The default provider's context belongs to the inner library context, which lives as long
 * as the process: nothing to tear down here. */
static void lean_teardown(void *provctx)
{
    (void)provctx;
}

/* The DER SubjectPublicKeyInfo decoders of the default provider, into lean.decoders. */
static bool keep_decoders(void)
{
    int no_cache = 0;
    const OSSL_ALGORITHM *all =
        lean.inner_query(OSSL_PROVIDER_get0_provider_ctx(lean.inner), OSSL_OP_DECODER, &no_cache);
    size_t kept = 0;
    for (; all && all->algorithm_names; all++) {
        const char *props = all->property_definition ? all->property_definition : "";
        if (!strstr(props, "input=der") || !strstr(props, "structure=SubjectPublicKeyInfo"))
            continue;
        if (kept == MAX_DECODERS - 1)
            return false;
        lean.decoders[kept++] = *all;
    }
    lean.decoders[kept] = (OSSL_ALGORITHM){NULL, NULL, NULL, NULL};
    return kept > 0;
}

static int lean_init(const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in,
                     const OSSL_DISPATCH **out, void **provctx)
{
    (void)handle;
    (void)in;
    size_t n = 0;
    for (const OSSL_DISPATCH *d = OSSL_PROVIDER_get0_dispatch(lean.inner); d && d->function_id;
         d++) {
        if (n == MAX_DISPATCH - 1)
            return 0;
        lean.dispatch[n] = *d;
        if (d->function_id == OSSL_FUNC_PROVIDER_QUERY_OPERATION) {
            lean.inner_query = OSSL_FUNC_provider_query_operation(d);
            lean.dispatch[n].function = (void (*)(void))lean_query;
        } else if (d->function_id == OSSL_FUNC_PROVIDER_TEARDOWN) {
            lean.dispatch[n].function = (void (*)(void))lean_teardown;
        }
        n++;
    }
    lean.dispatch[n] = (OSSL_DISPATCH){0, NULL};
    if (!lean.inner_query || !keep_decoders())
        return 0;
    *out = lean.dispatch;
    *provctx = OSSL_PROVIDER_get0_provider_ctx(lean.inner);
    return 1;
}

static void setup(void)
{
    OSSL_LIB_CTX *ctx = NULL;
    lean.inner_ctx = OSSL_LIB_CTX_new();
    lean.inner = lean.inner_ctx ? OSSL_PROVIDER_load(lean.inner_ctx, "default") : NULL;
    if (!lean.inner)
        goto fail;
    ctx = OSSL_LIB_CTX_new();
    if (!ctx || OSSL_PROVIDER_add_builtin(ctx, PROVIDER_NAME, lean_init) != 1 ||
        !OSSL_PROVIDER_load(ctx, PROVIDER_NAME))
        goto fail;
    lean.ctx = ctx;
    return;
fail:
    /* The default context serves as before; nothing of this is kept. */
    OSSL_LIB_CTX_free(ctx);
    OSSL_PROVIDER_unload(lean.inner);
    OSSL_LIB_CTX_free(lean.inner_ctx);
    lean.inner = NULL;
    lean.inner_ctx = NULL;
    ERR_clear_error();
}

OSSL_LIB_CTX *fo_tls_libctx(void)
{
    pthread_once(&lean.once, setup);
    return lean.ctx;
}
