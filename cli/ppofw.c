#include "config.h"
#include <stdio.h>
#include <ppofw/version.h>
int main(void)
{
    printf("ppofw %s\n", PPO_VERSION_STRING);
    return 0;
}
