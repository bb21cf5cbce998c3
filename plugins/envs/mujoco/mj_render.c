/* ppofw MuJoCo envs — pictures of the state through MuJoCo's own renderer (compiled into each
 * plugin; see mj_common.h).
 *
 * MuJoCo draws with OpenGL into its offscreen framebuffer; it needs only a current context,
 * which OSMesa (Mesa's software renderer, Debian's libosmesa6) gives without a GPU or a display.
 * The first render call of an instance makes its context, MuJoCo's GPU-side copy of the model
 * (mjr_makeContext), an abstract scene and a second mjData; every frame copies the state into
 * that mjData, computes its kinematics there (so drawing never touches the simulation's own
 * mjData: the picture is a function of qpos alone, as check-env demands), and reads the pixels
 * back. MuJoCo's libmujoco finds OSMesa's GL functions itself among the loaded libraries.
 *
 * Built without OSMesa (PPO_MJ_OSMESA undefined), the callbacks still exist and fail with a
 * message naming the package; a machine where OSMesa cannot make a context gets OSMesa's
 * reason. Left out: EGL and GLX contexts, Gymnasium's per-env camera presets (one camera for
 * all, on the first body's centre of mass without MuJoCo's easing, so that a picture depends on
 * the state alone), depth and segmentation images.
 */
#include <stdlib.h>
#include <string.h>

#include "mj_common.h"

#ifdef PPO_MJ_OSMESA
#include <GL/osmesa.h>

struct ppo_mj_render {
    OSMesaContext gl;   /* this instance's OpenGL context */
    uint8_t *gl_pixels; /* (H, W, 4) the context's default framebuffer (MuJoCo draws offscreen) */
    uint8_t *pixels;    /* (H, W, 3) the frame as MuJoCo reads it, bottom row first */
    mjData *scratch;    /* the drawn state's kinematics */
    mjvScene scene;     /* abstract geometry of a frame */
    mjvCamera camera;   /* looks at body `track` from a fixed direction and distance */
    int track;          /* the body the camera follows */
    mjvOption option;   /* MuJoCo's defaults */
    mjrContext context; /* the model on the GL side */
    bool have_scene;    /* scene made (free it) */
    bool have_context;  /* context made (free it) */
};

void ppo_mj_render_free(struct ppo_mj_render *r)
{
    if (r == NULL)
        return;
    if (r->gl != NULL && r->have_context &&
        OSMesaMakeCurrent(r->gl, r->gl_pixels, GL_UNSIGNED_BYTE, PPO_MJ_RENDER_W, PPO_MJ_RENDER_H))
        mjr_freeContext(&r->context);
    if (r->have_scene)
        mjv_freeScene(&r->scene);
    if (r->scratch != NULL)
        mj_deleteData(r->scratch);
    if (r->gl != NULL) {
        /* unbound first: a context destroyed while current leaves its framebuffer behind */
        if (OSMesaGetCurrentContext() == r->gl)
            OSMesaMakeCurrent(NULL, NULL, GL_UNSIGNED_BYTE, 0, 0);
        OSMesaDestroyContext(r->gl);
    }
    free(r->gl_pixels);
    free(r->pixels);
    free(r);
}

/* What a guarded MuJoCo call works on. */
typedef struct {
    const ppo_mj_env_t *env;
    struct ppo_mj_render *r;
} render_call_t;

static void make_context(void *arg)
{
    render_call_t *c = arg;
    mjr_makeContext(c->env->m, &c->r->context, mjFONTSCALE_100);
    c->r->have_context = true;
    mjr_setBuffer(mjFB_OFFSCREEN, &c->r->context);
}

/* Make the instance's renderer; 0, or < 0 after host->error(). */
static int render_make(ppo_mj_env_t *env)
{
    const char *name = env->shared->env_name;
    struct ppo_mj_render *r = calloc(1, sizeof(*r));
    const size_t n = (size_t)PPO_MJ_RENDER_W * PPO_MJ_RENDER_H;
    if (r == NULL || (r->gl_pixels = malloc(4 * n)) == NULL ||
        (r->pixels = malloc(3 * n)) == NULL || (r->scratch = mj_makeData(env->m)) == NULL) {
        env->host->error(env->host, "%s: out of memory making the renderer", name);
        ppo_mj_render_free(r);
        return -1;
    }
    const int attribs[] = {OSMESA_FORMAT,
                           OSMESA_RGBA,
                           OSMESA_DEPTH_BITS,
                           24,
                           OSMESA_STENCIL_BITS,
                           8,
                           OSMESA_PROFILE,
                           OSMESA_COMPAT_PROFILE,
                           0};
    r->gl = OSMesaCreateContextAttribs(attribs, NULL);
    if (r->gl == NULL || !OSMesaMakeCurrent(r->gl, r->gl_pixels, GL_UNSIGNED_BYTE, PPO_MJ_RENDER_W,
                                            PPO_MJ_RENDER_H)) {
        env->host->error(env->host,
                         "%s: this machine cannot draw MuJoCo pictures: OSMesa could not make "
                         "an OpenGL compatibility context (check Mesa's libosmesa6 and "
                         "LIBGL_ALWAYS_SOFTWARE)",
                         name);
        ppo_mj_render_free(r);
        return -1;
    }
    mjv_defaultScene(&r->scene);
    mjv_defaultOption(&r->option);
    mjr_defaultContext(&r->context);
    mjv_makeScene(env->m, &r->scene, 2000);
    r->have_scene = true;

    /* Gymnasium's view: following the robot from the side, a little from above. MuJoCo's own
     * tracking camera eases towards the body over frames, which would make a picture depend on
     * the frames before it: this one is put on the body's centre of mass every frame */
    mjv_defaultCamera(&r->camera);
    r->camera.type = mjCAMERA_FREE;
    r->track = env->m->nbody > 1 ? 1 : 0;
    r->camera.distance = env->m->stat.extent;
    r->camera.elevation = -20.0;

    const char *why = NULL;
    render_call_t call = {env, r};
    if (ppo_mj_call_guarded(make_context, &call, &why) < 0 ||
        r->context.currentBuffer != mjFB_OFFSCREEN || r->context.offWidth < PPO_MJ_RENDER_W ||
        r->context.offHeight < PPO_MJ_RENDER_H) {
        env->host->error(env->host,
                         "%s: MuJoCo could not set up its offscreen renderer on OSMesa%s%s "
                         "(offscreen buffer %dx%d, %dx%d needed)",
                         name, why != NULL ? ": " : "", why != NULL ? why : "", r->context.offWidth,
                         r->context.offHeight, PPO_MJ_RENDER_W, PPO_MJ_RENDER_H);
        ppo_mj_render_free(r);
        return -1;
    }
    env->render = r;
    return 0;
}

int ppo_mj_vt_render_size(void *inst, uint32_t *width_out, uint32_t *height_out)
{
    ppo_mj_env_t *env = inst;
    if (env->render == NULL && render_make(env) < 0)
        return -1;
    *width_out = PPO_MJ_RENDER_W;
    *height_out = PPO_MJ_RENDER_H;
    return 0;
}

static void draw(void *arg)
{
    render_call_t *c = arg;
    const mjModel *m = c->env->m;
    const mjData *d = c->env->d;
    struct ppo_mj_render *r = c->r;
    const mjrRect viewport = {0, 0, PPO_MJ_RENDER_W, PPO_MJ_RENDER_H};

    /* the state's positions, computed away from the simulation's data */
    memcpy(r->scratch->qpos, d->qpos, sizeof(mjtNum) * (size_t)m->nq);
    memcpy(r->scratch->mocap_pos, d->mocap_pos, sizeof(mjtNum) * 3 * (size_t)m->nmocap);
    memcpy(r->scratch->mocap_quat, d->mocap_quat, sizeof(mjtNum) * 4 * (size_t)m->nmocap);
    r->scratch->time = d->time;
    mj_kinematics(m, r->scratch);
    mj_comPos(m, r->scratch);
    mj_camlight(m, r->scratch);
    for (int k = 0; k < 3; k++)
        r->camera.lookat[k] = r->scratch->subtree_com[3 * r->track + k];

    mjv_updateScene(m, r->scratch, &r->option, NULL, &r->camera, mjCAT_ALL, &r->scene);
    mjr_setBuffer(mjFB_OFFSCREEN, &r->context);
    mjr_render(viewport, &r->scene, &r->context);
    mjr_readPixels(r->pixels, NULL, viewport, &r->context);
}

int ppo_mj_vt_render_rgb(void *inst, uint8_t *rgb_out)
{
    ppo_mj_env_t *env = inst;
    if (ppo_mj_require_state(env) < 0 || (env->render == NULL && render_make(env) < 0))
        return -1;
    struct ppo_mj_render *r = env->render;
    if (!OSMesaMakeCurrent(r->gl, r->gl_pixels, GL_UNSIGNED_BYTE, PPO_MJ_RENDER_W,
                           PPO_MJ_RENDER_H)) {
        env->host->error(env->host, "%s: OSMesa could not make the renderer's context current",
                         env->shared->env_name);
        return -1;
    }
    const char *why = NULL;
    render_call_t call = {env, r};
    if (ppo_mj_call_guarded(draw, &call, &why) < 0) {
        env->host->error(env->host, "%s: MuJoCo error while drawing: %s", env->shared->env_name,
                         why);
        return -1;
    }

    /* OpenGL's rows start at the bottom */
    const size_t row = (size_t)PPO_MJ_RENDER_W * 3;
    for (size_t y = 0; y < PPO_MJ_RENDER_H; y++)
        memcpy(rgb_out + y * row, r->pixels + (PPO_MJ_RENDER_H - 1 - y) * row, row);
    return 0;
}

#else /* no OSMesa at build time */

struct ppo_mj_render {
    int unused;
};

void ppo_mj_render_free(struct ppo_mj_render *r)
{
    free(r);
}

static int no_renderer(const ppo_mj_env_t *env)
{
    env->host->error(env->host,
                     "%s: this build cannot draw MuJoCo pictures: it was configured without "
                     "OSMesa; install Debian's libosmesa6-dev, then configure and build ppofw "
                     "again",
                     env->shared->env_name);
    return -1;
}

int ppo_mj_vt_render_size(void *inst, uint32_t *width_out, uint32_t *height_out)
{
    return no_renderer(inst);
}

int ppo_mj_vt_render_rgb(void *inst, uint8_t *rgb_out)
{
    return no_renderer(inst);
}

#endif
