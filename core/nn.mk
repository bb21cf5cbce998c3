# libppofw's distribution and layer helpers (include/ppofw/dist.h, include/ppofw/nn.h).
