#include <stdio.h>
int main(void) { puts("masthead"); return 0; }
