/* Settings from the environment and a token file, named as the official
 * Fastly CLI names them. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "api_int.h"

#define MAX_TOKEN_FILE_BYTES 4096

/* A token goes into a header line: only visible ASCII, so a stray newline in
 * a file or variable can never add a header of its own. */
bool fo_api_service_id_valid(const char *id)
{
    size_t len = id ? strlen(id) : 0;
    /* Fastly's ids are 22 alphanumerics; allow what the API accepts in a path segment
     * without escaping, and nothing a terminal or a chat message could misread. */
    if (len == 0 || len > FO_API_ID_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!isalnum((unsigned char)id[i]) && id[i] != '_' && id[i] != '-')
            return false;
    }
    return true;
}

bool fo_api_token_is_clean(const char *token)
{
    for (const unsigned char *p = (const unsigned char *)token; *p; p++) {
        if (*p <= 0x20 || *p >= 0x7f)
            return false;
    }
    return true;
}

char *fo_api_token_trim(char *text)
{
    static const char space[] = " \t\r\n";
    text += strspn(text, space);
    char *end = text + strlen(text);
    while (end > text && strchr(space, end[-1]))
        *--end = '\0';
    return text;
}

static int read_token_file(char **out, const char *path, fo_error *err)
{
    int rc = 0;
    char buf[MAX_TOKEN_FILE_BYTES + 1];
    size_t len = 0;
    struct stat st;
    bool from_stdin = strcmp(path, "-") == 0; /* `fastly profile token | ... --token-file -` */
    FILE *in = NULL;
    if (from_stdin && (rc = fo_input_open(&in, path, err)) != 0)
        return rc;
    int fd = from_stdin ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC);
    path = fo_input_name(path);
    if (fd < 0) {
        rc = fo_error_set(err, errno == ENOENT ? FO_EINVAL : FO_EIO,
                          "cannot read token file '%s': %s", path, strerror(errno));
        goto out;
    }
    if (!from_stdin && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
        rc = fo_error_set(err, FO_EINVAL, "token file '%s' is not a regular file", path);
        goto out;
    }
    while (len < sizeof(buf)) {
        ssize_t n = read(fd, buf + len, sizeof(buf) - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc =
                fo_error_set(err, FO_EIO, "cannot read token file '%s': %s", path, strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    if (len > MAX_TOKEN_FILE_BYTES) {
        rc = fo_error_set(err, FO_EINVAL, "token file '%s' is larger than %d bytes", path,
                          MAX_TOKEN_FILE_BYTES);
        goto out;
    }
    buf[len] = '\0';
    /* Editors add a newline; tolerate surrounding white space only. */
    char *start = fo_api_token_trim(buf);
    if (*start == '\0') {
        rc = fo_error_set(err, FO_EINVAL, "token file '%s' is empty", path);
        goto out;
    }
    if (!fo_api_token_is_clean(start)) {
        rc = fo_error_set(err, FO_EINVAL,
                          "token file '%s' holds more than one line or non-ASCII bytes", path);
        goto out;
    }
    *out = fo_strdup(start);
    if (!*out)
        rc = fo_error_set(err, FO_ENOMEM, "out of memory");
out:
    OPENSSL_cleanse(buf, sizeof(buf));
    if (fd >= 0)
        close(fd);
    return rc;
}

static const char *first_env(const char *a, const char *b, const char **out_name)
{
    const char *v = getenv(a);
    *out_name = a;
    if (fo_str_empty(v)) {
        v = getenv(b);
        *out_name = b;
    }
    return fo_str_empty(v) ? NULL : v;
}

/* A bound from the environment: a whole number from min to max, or the default kept. */
static int env_bound(long long *out, const char *name, long long min, long long max, fo_error *err)
{
    const char *v = getenv(name);
    if (fo_str_empty(v))
        return 0;
    char *end = NULL;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno != 0 || *end != '\0' || end == v || n < min || n > max)
        return fo_error_set(err, FO_EINVAL, "%s must be a whole number from %lld to %lld", name,
                            min, max);
    *out = n;
    return 0;
}

/* The bounds against a misbehaving API, for operators and for tests that use short ones
 * (docs/reliability.md lists them). */
static int bounds_from_env(fo_api_config *cfg, fo_error *err)
{
    long long deadline = cfg->deadline_ms, stall = cfg->stall_ms, pages = cfg->list_max_pages;
    long long items = (long long)cfg->list_max_items, list = cfg->list_deadline_ms;
    long long body = (long long)cfg->max_body_bytes;
    int rc = env_bound(&deadline, "FIXORIGIN_API_DEADLINE_MS", 100, 3600000, err);
    if (rc == 0)
        rc = env_bound(&stall, "FIXORIGIN_API_STALL_MS", 0, 3600000, err);
    if (rc == 0)
        rc = env_bound(&pages, "FIXORIGIN_API_MAX_PAGES", 1, 100000, err);
    if (rc == 0)
        rc = env_bound(&items, "FIXORIGIN_API_MAX_SERVICES", 1, 10000000, err);
    if (rc == 0)
        rc = env_bound(&list, "FIXORIGIN_API_LIST_DEADLINE_MS", 100, 86400000, err);
    if (rc == 0)
        rc = env_bound(&body, "FIXORIGIN_API_MAX_BODY", 1024, 1024LL * 1024 * 1024, err);
    if (rc != 0)
        return rc;
    cfg->deadline_ms = (long)deadline;
    /* Each attempt ends with the call's deadline, whatever the transport's own cap. */
    if (cfg->timeout_ms > cfg->deadline_ms)
        cfg->timeout_ms = cfg->deadline_ms;
    cfg->stall_ms = (long)stall;
    cfg->list_max_pages = (long)pages;
    cfg->list_max_items = (size_t)items;
    cfg->list_deadline_ms = (long)list;
    cfg->max_body_bytes = (size_t)body;
    return 0;
}

int fo_api_config_from_env(fo_api_config *cfg, char **out_token, const char *token_file,
                           fo_error *err)
{
    int rc = 0;
    char *token = NULL;
    const char *name = NULL;
    rc = bounds_from_env(cfg, err);
    if (rc != 0)
        goto out;
    /* Before the token: a bad endpoint is found without asking the Fastly CLI (up to 5 s). */
    const char *base = first_env("FASTLY_API_ENDPOINT", "FASTLY_API_URL", &name);
    if (base) {
        /* Name the variable the bad value came from: the user may not know it is set. */
        fo_error why;
        fo_error_clear(&why);
        char shown[81]; /* the value as it can be shown: no control character */
        fo_str_clean_copy(shown, sizeof(shown), base);
        if (strncmp(base, "https://", 8) != 0 && strncmp(base, "http://", 7) != 0)
            rc = fo_error_set(err, FO_EINVAL, "%s=%s: not an http(s) URL", name, shown);
        else if (fo_api_check_base_url(base, &why) != 0)
            rc = fo_error_set(err, FO_EINVAL, "%s=%s: %s", name, shown, why.msg);
        if (rc != 0)
            goto out;
        cfg->base_url = base;
    }
    const char *value = token_file ? NULL : first_env("FASTLY_API_TOKEN", "FASTLY_API_KEY", &name);
    if (token_file) {
        rc = read_token_file(&token, token_file, err);
        if (rc != 0)
            goto out;
    } else if (value) {
        if (!fo_api_token_is_clean(value)) {
            rc = fo_error_set(err, FO_EINVAL, "%s holds spaces, newlines or non-ASCII bytes", name);
            goto out;
        }
        token = fo_strdup(value);
        if (!token) {
            rc = fo_error_set(err, FO_ENOMEM, "out of memory");
            goto out;
        }
    } else {
        /* As the Fastly CLI itself would: the token it stores (fastly auth login). A CLI that
         * does not answer in time is exit 1 (FO_ETIMEOUT); one without a token is as no token. */
        rc = fo_api_token_from_cli(&token, err);
        if (rc == FO_ENOTFOUND)
            rc = fo_error_set(err, FO_EINVAL,
                              "no Fastly API token: set FASTLY_API_TOKEN (or FASTLY_API_KEY), "
                              "pass --token-file FILE, or log in with the Fastly CLI "
                              "('fastly auth login')");
        if (rc != 0)
            goto out;
    }
    cfg->token = token;
    *out_token = token;
    token = NULL;
out:
    fo_secret_free(token);
    return rc;
}
