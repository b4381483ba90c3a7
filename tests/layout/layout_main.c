/* The program that links one library whole (tests/layout/layout.cmake): it links only when
 * every object of that library finds what it calls in the libraries it declares. */
int main(void)
{
    return 0;
}
