/* ppofw tests — plugins/envs/minatar/space_invaders.c: MinAtar's Space Invaders against the
 * reference data (every row, minatar_test.c). The game draws no random numbers; that a step
 * then takes exactly the wrapper's sticky draw from the stream is checked for every game in
 * test_minatar.c. */
#include "config.h"

#include "minatar_test.h"

int main(void)
{
    return mt_run(&minatar_space_invaders, NULL);
}
