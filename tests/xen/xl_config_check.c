/*
 * xl_config_check: reads one xl domain config file with Xen's own parser library (libxlutil,
 * the library `xl create` uses) and prints what it found as `key=value` lines, for tests/xen.rs.
 *
 *   xl_config_check FILE
 *
 * Exit status 0: the file parsed, every `disk` entry parsed with xlu_disk_parse, every `vif`
 * entry is made of `key=value` options xl knows, and the keys xl needs are there.
 * Exit status 1: anything else; the reason is on stderr (libxlutil's own message for a
 * syntax error). Exit status 2: wrong usage.
 *
 * `xl` itself cannot check a file without a running hypervisor, so this does the parsing part
 * of `xl create` and nothing more. Build:
 *
 *   cc -o xl_config_check xl_config_check.c $(pkg-config --cflags --libs xlutil xenlight)
 */

#define _DEFAULT_SOURCE /* strsep */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxl.h>
#include <libxlutil.h>

static const char *file_name;
static XLU_Config *config;

static void fail(const char *format, ...) __attribute__((format(printf, 1, 2), noreturn));

static void fail(const char *format, ...)
{
    va_list arguments;
    fprintf(stderr, "%s: ", file_name);
    va_start(arguments, format);
    vfprintf(stderr, format, arguments);
    va_end(arguments);
    fputc('\n', stderr);
    if (config)
        xlu_cfg_destroy(config);
    exit(1);
}

/* A string key: printed when present; a missing required key or a list fails. */
static const char *string_key(const char *key, int required)
{
    const char *value = NULL;
    int rc = xlu_cfg_get_string(config, key, &value, 0);
    if (rc == ESRCH) {
        if (required)
            fail("the required key `%s` is missing", key);
        return NULL;
    }
    if (rc)
        fail("`%s` is not a single string", key);
    printf("%s=%s\n", key, value);
    return value;
}

/* A number key, as xl reads it (xlu_cfg_get_long: a bare number, not a string). */
static int long_key(const char *key, int required, long *value)
{
    int rc = xlu_cfg_get_long(config, key, value, 0);
    if (rc == ESRCH) {
        if (required)
            fail("the required key `%s` is missing", key);
        return 0;
    }
    if (rc)
        fail("`%s` is not a number", key);
    printf("%s=%ld\n", key, *value);
    return 1;
}

/* A list key; returns the number of entries, 0 when absent and optional. */
static int list_key(const char *key, int required, XLU_ConfigList **list)
{
    int entries = 0;
    int rc = xlu_cfg_get_list(config, key, list, &entries, 0);
    if (rc == ESRCH) {
        if (required)
            fail("the required key `%s` is missing", key);
        return 0;
    }
    if (rc)
        fail("`%s` is not a list", key);
    printf("%s.count=%d\n", key, entries);
    return entries;
}

static void parse_disks(void)
{
    XLU_ConfigList *list = NULL;
    int entries = list_key("disk", 1, &list);
    if (entries == 0)
        fail("`disk` lists no disk");
    for (int i = 0; i < entries; i++) {
        const char *spec = xlu_cfg_get_listitem(list, i);
        if (!spec)
            fail("`disk` entry %d is not a string", i);
        printf("disk%d=%s\n", i, spec);

        libxl_device_disk disk;
        libxl_device_disk_init(&disk);
        /* Prints libxlutil's own message to stderr (the report stream) on a bad spec. */
        if (xlu_disk_parse(config, 1, &spec, &disk)) {
            libxl_device_disk_dispose(&disk);
            fail("xlu_disk_parse rejected the disk spec \"%s\"", spec);
        }
        printf("disk%d.target=%s\n", i, disk.pdev_path ? disk.pdev_path : "");
        printf("disk%d.vdev=%s\n", i, disk.vdev ? disk.vdev : "");
        printf("disk%d.format=%s\n", i, libxl_disk_format_to_string(disk.format));
        printf("disk%d.backend=%s\n", i, libxl_disk_backend_to_string(disk.backend));
        printf("disk%d.readwrite=%d\n", i, disk.readwrite);
        printf("disk%d.cdrom=%d\n", i, disk.is_cdrom);
        libxl_device_disk_dispose(&disk);
    }
}

/* Whether TEXT is six ':'-separated pairs of hex digits. */
static int is_mac(const char *text)
{
    for (int i = 0; i < 17; i++) {
        char c = text[i];
        if (i % 3 == 2 ? c != ':' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
                                      (c >= 'A' && c <= 'F')))
            return 0;
    }
    return text[17] == '\0';
}

/* The options of a vif spec that xl's parse_nic_config knows (xl-network-configuration(5)). */
static const char *const vif_options[] = {
    "mac", "bridge", "type", "model", "vifname", "script", "ip", "backend", "rate",
    "devid", "mtu", "gatewaydev", "forwarddev", "netdev", "trusted", "untrusted", NULL,
};

/* xl splits a vif spec at ',' into `option=value` pairs and refuses an unknown option. */
static void parse_vifs(void)
{
    XLU_ConfigList *list = NULL;
    int entries = list_key("vif", 0, &list);
    for (int i = 0; i < entries; i++) {
        const char *spec = xlu_cfg_get_listitem(list, i);
        if (!spec)
            fail("`vif` entry %d is not a string", i);
        printf("vif%d=%s\n", i, spec);

        /* Not freed on failure: fail() exits, and the message may point into it. */
        char *copy = strdup(spec);
        if (!copy)
            fail("out of memory");
        char *rest = copy;
        char *token;
        while ((token = strsep(&rest, ",")) != NULL) {
            while (*token == ' ' || *token == '\t')
                token++;
            if (*token == '\0')
                continue;
            char *equals = strchr(token, '=');
            if (!equals)
                fail("vif option \"%s\" is not `option=value`", token);
            *equals = '\0';
            const char *value = equals + 1;
            int known = 0;
            for (int k = 0; vif_options[k]; k++)
                known |= strcmp(token, vif_options[k]) == 0;
            if (!known)
                fail("xl does not know the vif option \"%s\"", token);
            if (strcmp(token, "mac") == 0 && !is_mac(value))
                fail("the vif MAC \"%s\" is not six hex pairs", value);
            printf("vif%d.%s=%s\n", i, token, value);
        }
        free(copy);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s XL_CONFIG_FILE\n", argv[0]);
        return 2;
    }
    file_name = argv[1];

    config = xlu_cfg_init(stderr, file_name);
    if (!config) {
        fprintf(stderr, "%s: xlu_cfg_init failed (out of memory)\n", file_name);
        return 1;
    }
    int rc = xlu_cfg_readfile(config, file_name);
    if (rc) {
        /* The syntax error itself was printed to stderr by libxlutil. */
        fprintf(stderr, "%s: libxlutil could not parse the file: %s\n", file_name, strerror(rc));
        xlu_cfg_destroy(config);
        return 1;
    }

    string_key("name", 1);
    const char *type = string_key("type", 1);
    int pv = strcmp(type, "pv") == 0;
    if (!pv && strcmp(type, "hvm") != 0 && strcmp(type, "pvh") != 0)
        fail("invalid domain type \"%s\" (xl knows pv, pvh and hvm)", type);

    long number;
    long_key("memory", 1, &number);
    if (number <= 0)
        fail("`memory` is not positive");
    if (long_key("vcpus", 0, &number) && number <= 0)
        fail("`vcpus` is not positive");

    parse_vifs();
    parse_disks();

    /* PV guests. */
    const char *kernel = string_key("kernel", 0);
    string_key("ramdisk", 0);
    string_key("extra", 0);
    const char *bootloader = string_key("bootloader", 0);
    if (pv && !kernel && !bootloader)
        fail("a %s guest needs a kernel (or a bootloader)", type);

    /* HVM guests. */
    string_key("boot", 0);
    long_key("vnc", 0, &number);
    string_key("vnclisten", 0);
    string_key("vncpasswd", 0);

    xlu_cfg_destroy(config);
    return 0;
}
