/* One include, named by the build (FO_LAYOUT_HEADER), in a file that links every library:
 * a public header must compile here on its own, and a module's internal header must not be
 * found at all (tests/layout/layout.cmake). */
#include FO_LAYOUT_HEADER

int fo_layout_include_marker(void);
int fo_layout_include_marker(void)
{
    return 0;
}
