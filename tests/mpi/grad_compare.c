/* grad_compare A B TOL — compare two float32 gradient files written by fx_record_grad: same
 * length, and ||A - B|| <= TOL * ||A||. Prints the relative difference; exits 1 when it is too
 * large or the files do not match in size. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static float *load(const char *path, long *n)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "grad_compare: cannot open %s\n", path);
        exit(1);
    }
    fseek(f, 0, SEEK_END);
    long bytes = ftell(f);
    fseek(f, 0, SEEK_SET);
    *n = bytes / (long)sizeof(float);
    float *x = malloc((size_t)bytes + sizeof(float));
    if (x == NULL || fread(x, sizeof(float), (size_t)*n, f) != (size_t)*n) {
        fprintf(stderr, "grad_compare: cannot read %s\n", path);
        exit(1);
    }
    fclose(f);
    return x;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: grad_compare A B TOL\n");
        return 2;
    }
    long na, nb;
    float *a = load(argv[1], &na), *b = load(argv[2], &nb);
    if (na != nb || na == 0) {
        fprintf(stderr, "grad_compare: %ld and %ld floats\n", na, nb);
        return 1;
    }
    double diff = 0.0, norm = 0.0;
    for (long i = 0; i < na; i++) {
        diff += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        norm += (double)a[i] * a[i];
    }
    const double rel = norm > 0 ? sqrt(diff / norm) : sqrt(diff);
    printf("%ld parameters, gradient norm %.6g, relative difference %.3g\n", na, sqrt(norm), rel);
    free(a);
    free(b);
    return rel <= atof(argv[3]) ? 0 : 1;
}
