/* Terraform awareness. A service that terraform-provider-fastly manages gets a fix made
 * through the API undone by the next `terraform apply`: the provider sees the active version
 * differ from its HCL and puts the HCL's values back. So the plan says when a service looks
 * managed, and the fix can be printed as the HCL to change instead.
 *
 * The sign is the provider's own default: its service resources (fastly_service_vcl,
 * fastly_service_compute) set the service's versionless `comment` to "Managed by Terraform"
 * unless told otherwise; `version_comment` has no default, but some configurations set it to
 * the same words. Either is a guess, hence "probably"; the user can say so with a flag. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "remediate_int.h"

#define MANAGED_WORDS "managed by terraform"

bool fo_remediate_terraform_comment(const char *comment)
{
    size_t n = strlen(MANAGED_WORDS);
    for (const char *s = comment; s && *s; s++) {
        if (strncasecmp(s, MANAGED_WORDS, n) == 0)
            return true;
    }
    return false;
}

int fo_rem_terraform_detect(fo_plan *plan, const fo_service *svc, bool told)
{
    char *reason = NULL;
    if (told)
        reason = fo_strdup("you said so (--terraform)");
    else if (fo_remediate_terraform_comment(svc->comment))
        reason = fo_strdup("the service's comment says \"Managed by Terraform\", "
                           "terraform-provider-fastly's default");
    else if (svc->active && fo_remediate_terraform_comment(svc->active->version.comment))
        reason = fo_rem_strdupf("the comment of active version %ld says \"Managed by Terraform\"",
                                svc->active->version.number);
    else
        return 0;
    if (!reason)
        return FO_ENOMEM;
    plan->terraform = reason;
    return 0;
}

/* Whether the provider's backend block has the field (terraform-provider-fastly's
 * block_fastly_service_backend.go, the same for VCL and Compute services; marked in
 * api/backend_fields.c). */
static bool provider_has(const char *field)
{
    const fo_backend_field *f = fo_backend_field_find(field);
    return f && (f->uses & FO_FIELD_TERRAFORM);
}

/* A quoted HCL string: escapes for '"', '\\' and control characters, and "${" / "%{" doubled
 * so that no text becomes a template interpolation or directive. */
static int put_quoted(fo_buf *b, const char *s)
{
    int rc = fo_buf_puts(b, "\"");
    for (; rc == 0 && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"')
            rc = fo_buf_puts(b, "\\\"");
        else if (c == '\\')
            rc = fo_buf_puts(b, "\\\\");
        else if (c == '\n')
            rc = fo_buf_puts(b, "\\n");
        else if (c == '\r')
            rc = fo_buf_puts(b, "\\r");
        else if (c == '\t')
            rc = fo_buf_puts(b, "\\t");
        else if (c < 0x20 || c == 0x7f)
            rc = fo_buf_printf(b, "\\u%04x", c);
        else if ((c == '$' || c == '%') && s[1] == '{')
            rc = fo_buf_printf(b, "%c%c", c, c);
        else
            rc = fo_buf_append(b, s, 1);
    }
    return rc == 0 ? fo_buf_puts(b, "\"") : rc;
}

/* Whether text can be a heredoc: lines without control characters (a heredoc has no
 * escapes), none of them the delimiter. */
static bool heredoc_fits(const char *text, const char *delimiter)
{
    size_t dn = strlen(delimiter);
    for (const char *line = text; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        const char *t = line;
        while (t < line + len && (*t == ' ' || *t == '\t'))
            t++;
        if ((size_t)(line + len - t) == dn && strncmp(t, delimiter, dn) == 0)
            return false;
        for (const char *c = line; c < line + len; c++) {
            if ((unsigned char)*c < 0x20 || *c == 0x7f)
                return false;
        }
        line = end ? end + 1 : line + len;
    }
    return true;
}

/* A PEM value as an indented heredoc (`<<-EOT`); chomp() keeps a value that does not end
 * with a newline exact. Falls back to a quoted string when the text cannot be one. */
static int put_heredoc(fo_buf *b, const char *text)
{
    char delimiter[16] = "EOT";
    for (int n = 1; !heredoc_fits(text, delimiter); n++) {
        if (n > 99)
            return put_quoted(b, text);
        snprintf(delimiter, sizeof(delimiter), "EOT%d", n);
    }
    size_t len = strlen(text);
    bool chomp = len == 0 || text[len - 1] != '\n';
    int rc = fo_buf_printf(b, "%s<<-%s\n", chomp ? "chomp(" : "", delimiter);
    for (const char *line = text; rc == 0 && *line;) {
        const char *end = strchr(line, '\n');
        size_t n = end ? (size_t)(end - line) : strlen(line);
        rc = fo_buf_puts(b, "    ");
        for (const char *c = line; rc == 0 && c < line + n; c++) {
            if ((*c == '$' || *c == '%') && c + 1 < line + n && c[1] == '{')
                rc = fo_buf_append(b, c, 1); /* doubled: "$${" is a literal "${" */
            if (rc == 0)
                rc = fo_buf_append(b, c, 1);
        }
        if (rc == 0)
            rc = fo_buf_puts(b, "\n");
        line = end ? end + 1 : line + n;
    }
    return rc == 0 ? fo_buf_printf(b, "  %s%s", delimiter, chomp ? ")" : "") : rc;
}

static bool bare_number(const char *s)
{
    if (*s == '-')
        s++;
    if (!*s)
        return false;
    for (; *s; s++) {
        if (!isdigit((unsigned char)*s))
            return false;
    }
    return true;
}

/* One attribute line of a backend block: `  name = value`, padded to width. */
static int put_attribute(fo_buf *b, const fo_change *c, int width)
{
    int rc = fo_buf_printf(b, "  %-*s = ", width, c->field);
    if (rc != 0)
        return rc;
    if (!c->to) /* cleared: every attribute fixorigin clears is a string, "" its default */
        rc = fo_buf_puts(b, c->kind == FO_FIELD_TEXT || c->kind == FO_FIELD_PEM ? "\"\"" : "null");
    else if (c->kind == FO_FIELD_PEM)
        rc = put_heredoc(b, c->to);
    else if ((c->kind == FO_FIELD_NUMBER && bare_number(c->to)) ||
             (c->kind == FO_FIELD_BOOL &&
              (strcmp(c->to, "true") == 0 || strcmp(c->to, "false") == 0)))
        rc = fo_buf_puts(b, c->to);
    else
        rc = put_quoted(b, c->to);
    return rc == 0 ? fo_buf_puts(b, "\n") : rc;
}

/* Text as `# ` comment lines (control characters shown as '?'). */
static int put_comment(fo_buf *b, const char *prefix, const char *text)
{
    int rc = fo_buf_puts(b, "# ");
    if (rc == 0)
        rc = fo_buf_puts(b, prefix);
    for (const char *c = text; rc == 0 && c && *c; c++) {
        if (*c == '\n')
            rc = c[1] ? fo_buf_puts(b, "\n# ") : 0;
        else
            rc = fo_buf_append(b, (unsigned char)*c < 0x20 || *c == 0x7f ? "?" : c, 1);
    }
    return rc == 0 ? fo_buf_puts(b, "\n") : rc;
}

static int put_backend(fo_buf *b, const fo_backend_plan *bp)
{
    const fo_fix *fix = &bp->fix;
    int rc = fo_buf_puts(b, "\n");
    if (rc == 0)
        rc = put_comment(b, "", fix->summary);
    if (rc == 0 && bp->origin.kind != FO_ORIGIN_BACKEND) {
        /* Declared in VCL, a snippet or a pool: the HCL to change is that text (the
         * provider's vcl/snippet blocks), not a backend block. */
        rc = put_comment(b, "declared in ", fo_origin_source(&bp->origin));
        if (rc == 0)
            rc = put_comment(b, "",
                             "change that text where the HCL holds it (a vcl or snippet "
                             "block, or the file it reads):");
        if (rc == 0 && bp->origin.text_diff)
            rc = put_comment(b, "", bp->origin.text_diff);
        return rc;
    }
    int width = (int)strlen("name");
    for (size_t i = 0; i < fix->change_count; i++) {
        int n = (int)strlen(fix->changes[i].field);
        if (provider_has(fix->changes[i].field) && fix->changes[i].kind != FO_FIELD_SECRET &&
            n > width)
            width = n;
    }
    rc = rc == 0 ? fo_buf_puts(b, "backend {\n") : rc;
    if (rc == 0)
        rc = fo_buf_printf(b, "  %-*s = ", width, "name");
    if (rc == 0)
        rc = put_quoted(b, bp->backend->name ? bp->backend->name : "");
    if (rc == 0)
        rc = fo_buf_puts(b, "\n");
    for (size_t i = 0; rc == 0 && i < fix->change_count; i++) {
        const fo_change *c = &fix->changes[i];
        if (c->kind == FO_FIELD_SECRET)
            rc = fo_buf_printf(b, "  # %s changes: a secret, not printed here\n", c->field);
        else if (!provider_has(c->field))
            rc = fo_buf_printf(b, "  # %s: the provider's backend block has no such attribute\n",
                               c->field);
        else
            rc = put_attribute(b, c, width);
    }
    if (rc == 0)
        rc = fo_buf_puts(b, "  # every other attribute stays as it is\n}\n");
    return rc;
}

char *fo_remediate_terraform_hcl(const fo_plan *plan)
{
    fo_buf b = {0};
    const char *resource = plan->service_type && strcmp(plan->service_type, "wasm") == 0
                               ? "fastly_service_compute"
                               : "fastly_service_vcl";
    size_t fixes = 0, blocked = 0;
    for (size_t i = 0; i < plan->backend_count; i++) {
        fixes += plan->backends[i].status == FO_BACKEND_FIX;
        blocked += plan->backends[i].status == FO_BACKEND_BLOCKED;
    }
    int rc = fo_buf_puts(&b, "# fixorigin: service ");
    /* The id and name come from the user and the API: quoted, so a newline in them cannot
     * end the comment and become HCL. */
    if (rc == 0)
        rc = put_quoted(&b, plan->service_id ? plan->service_id : "");
    if (rc == 0 && plan->service_name && (rc = fo_buf_puts(&b, " ")) == 0)
        rc = put_quoted(&b, plan->service_name);
    if (rc == 0)
        rc = fo_buf_printf(&b, ", active version %ld, plan %.12s\n", plan->active_version,
                           plan->plan_id);
    if (rc == 0 && fixes == 0)
        rc = fo_buf_puts(&b, "# nothing to change in the HCL: no backend has a fix to write\n");
    if (rc == 0 && fixes > 0)
        rc = fo_buf_printf(&b,
                           "# In the %s resource of this service, change these backend blocks\n"
                           "# (matched by name), then run terraform plan and terraform apply.\n",
                           resource);
    if (rc == 0 && blocked > 0)
        rc = fo_buf_printf(&b,
                           "# %zu fix%s waiting for consent %s left out: give the consent flag "
                           "to see %s.\n",
                           blocked, blocked == 1 ? "" : "es", blocked == 1 ? "is" : "are",
                           blocked == 1 ? "it" : "them");
    for (size_t i = 0; rc == 0 && i < plan->backend_count; i++) {
        if (plan->backends[i].status == FO_BACKEND_FIX)
            rc = put_backend(&b, &plan->backends[i]);
    }
    if (rc != 0) {
        fo_buf_clear(&b);
        return NULL;
    }
    return fo_buf_steal(&b);
}
