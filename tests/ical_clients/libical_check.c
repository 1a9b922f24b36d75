/* Read an iCalendar file with libical (the parser behind many desktop clients).
 *
 *   gcc libical_check.c $(pkg-config --cflags --libs libical) -o libical_check
 *   ./libical_check FEED.ics
 *
 * Prints one line per VEVENT, "UID<TAB>START": the UTC instant "YYYYMMDDTHHMMSSZ" for a timed
 * start (converted through the VTIMEZONE of the file itself, never a built-in zone), "YYYYMMDD"
 * for a DATE. A TZID with no VTIMEZONE in the file prints the floating local time (no Z). Last
 * line: "ERRORS<TAB>N", N = X-LIC-ERROR properties anywhere + TZIDs with no VTIMEZONE + events
 * without UID or DTSTART (each also described on stderr). Exit 1 if N > 0, if parsing failed or
 * if the top-level component is not a VCALENDAR; 2 on usage or I/O errors.
 * Install: apt-get install libical-dev
 */
#include <libical/ical.h>
#include <stdio.h>
#include <stdlib.h>

static char *slurp(const char *path) {
    FILE *file = fopen(path, "rb");
    if (file == NULL) return NULL;
    if (fseek(file, 0, SEEK_END) != 0) { fclose(file); return NULL; }
    long size = ftell(file);
    rewind(file);
    char *text = malloc((size_t)size + 1);
    if (text == NULL || fread(text, 1, (size_t)size, file) != (size_t)size) {
        free(text);
        fclose(file);
        return NULL;
    }
    text[size] = '\0';
    fclose(file);
    return text;
}

static int count_lic_errors(icalcomponent *component) {
    int count = 0;
    for (icalproperty *p = icalcomponent_get_first_property(component, ICAL_XLICERROR_PROPERTY);
         p != NULL; p = icalcomponent_get_next_property(component, ICAL_XLICERROR_PROPERTY)) {
        fprintf(stderr, "libical: X-LIC-ERROR in %s: %s\n",
                icalcomponent_kind_to_string(icalcomponent_isa(component)),
                icalproperty_get_xlicerror(p));
        count++;
    }
    for (icalcomponent *c = icalcomponent_get_first_component(component, ICAL_ANY_COMPONENT);
         c != NULL; c = icalcomponent_get_next_component(component, ICAL_ANY_COMPONENT)) {
        count += count_lic_errors(c);
    }
    return count;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s FEED.ics\n", argv[0]);
        return 2;
    }
    char *text = slurp(argv[1]);
    if (text == NULL) {
        perror(argv[1]);
        return 2;
    }
    icalcomponent *root = icalparser_parse_string(text);
    free(text);
    if (root == NULL) {
        fprintf(stderr, "libical: parsing failed: no complete component%s%s\n",
                icalerrno == ICAL_NO_ERROR ? "" : ": ",
                icalerrno == ICAL_NO_ERROR ? "" : icalerror_strerror(icalerrno));
        printf("ERRORS\t1\n");
        return 1;
    }
    if (icalcomponent_isa(root) != ICAL_VCALENDAR_COMPONENT) {
        fprintf(stderr, "libical: top-level component is %s, not VCALENDAR\n",
                icalcomponent_kind_to_string(icalcomponent_isa(root)));
        printf("ERRORS\t%d\n", count_lic_errors(root) + 1);
        icalcomponent_free(root);
        return 1;
    }
    int errors = count_lic_errors(root);
    icaltimezone *utc = icaltimezone_get_utc_timezone();
    for (icalcomponent *event = icalcomponent_get_first_component(root, ICAL_VEVENT_COMPONENT);
         event != NULL; event = icalcomponent_get_next_component(root, ICAL_VEVENT_COMPONENT)) {
        const char *uid = icalcomponent_get_uid(event);
        if (uid == NULL) {
            fprintf(stderr, "libical: VEVENT without UID\n");
            errors++;
            uid = "";
        }
        icalproperty *dtstart = icalcomponent_get_first_property(event, ICAL_DTSTART_PROPERTY);
        if (dtstart == NULL) {
            fprintf(stderr, "libical: %s: no DTSTART\n", uid);
            errors++;
            printf("%s\t\n", uid);
            continue;
        }
        struct icaltimetype start = icalproperty_get_dtstart(dtstart);
        if (start.is_date) {
            printf("%s\t%04d%02d%02d\n", uid, start.year, start.month, start.day);
            continue;
        }
        icalparameter *tzid = icalproperty_get_first_parameter(dtstart, ICAL_TZID_PARAMETER);
        if (tzid != NULL) {
            const char *name = icalparameter_get_tzid(tzid);
            icaltimezone *zone = icalcomponent_get_timezone(root, name);
            if (zone == NULL) {
                fprintf(stderr, "libical: %s: TZID=%s has no VTIMEZONE in the file\n", uid, name);
                errors++;
                start.zone = NULL;
                printf("%s\t%s\n", uid, icaltime_as_ical_string(start));
                continue;
            }
            start = icaltime_set_timezone(&start, zone);
        } else if (!icaltime_is_utc(start)) {
            fprintf(stderr, "libical: %s: floating DTSTART\n", uid);
            errors++;
            printf("%s\t%s\n", uid, icaltime_as_ical_string(start));
            continue;
        }
        struct icaltimetype instant = icaltime_convert_to_zone(start, utc);
        printf("%s\t%s\n", uid, icaltime_as_ical_string(instant));
    }
    printf("ERRORS\t%d\n", errors);
    icalcomponent_free(root);
    return errors > 0 ? 1 : 0;
}
