/* ppofw tests — shared checks for the MuJoCo env plugins (see mj_test.h). */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mj_test.h"

/* ---- the model half ---- */

mjModel *mjt_load_model(const char *file)
{
    char *rel = g_build_filename("plugins", "envs", "mujoco", "models", file, NULL);
    char *path = ppo_test_src_path(rel);
    char error[1024] = "";
    mjModel *m = mj_loadXML(path, NULL, error, (int)sizeof(error));
    if (m == NULL)
        ck_abort_msg("MuJoCo cannot compile %s: %s", path, error);
    ck_assert_msg(error[0] == '\0', "compiling %s warned: %s", path, error);
    g_free(path);
    g_free(rel);
    return m;
}

void mjt_assert_close(double got, double want, double tol, const char *what)
{
    const double scale = fabs(want) > 1.0 ? fabs(want) : 1.0;
    ck_assert_msg(fabs(got - want) <= tol * scale, "%s: got %.17g, want %.17g (tolerance %g)", what,
                  got, want, tol * scale);
}

/* Largest deviation seen by one check, printed at its end. */
typedef struct deviation {
    double max;
    char where[160];
} deviation_t;

static void note(deviation_t *dev, double got, double want, const char *what)
{
    const double e = fabs(got - want);
    if (dev->where[0] == '\0' || e > dev->max) {
        dev->max = e;
        snprintf(dev->where, sizeof(dev->where), "%s", what);
    }
}

static void report(const char *file, const char *check, const deviation_t *dev)
{
    printf("%s: %s: max deviation %.3g (%s)\n", file, check, dev->max, dev->where);
}

/* A 17-digit figure: within 1e-12 relative. */
static void close17(deviation_t *dev, double got, double want, const char *what)
{
    note(dev, got, want, what);
    mjt_assert_close(got, want, 1e-12, what);
}

/* A figure printed to 6 significant digits: within half a unit of the 6th digit. */
static void close6(deviation_t *dev, double got, double want, const char *what)
{
    note(dev, got, want, what);
    double tol = 1e-15;
    if (want != 0.0)
        tol = 0.5 * pow(10.0, floor(log10(fabs(want))) - 5.0) * (1.0 + 1e-9);
    ck_assert_msg(fabs(got - want) <= tol, "%s: got %.9g, the pinned %.6g (6 digits)", what, got,
                  want);
}

/* A described quantity (position, size, axis, friction): within 1e-9. */
static void close_desc(deviation_t *dev, double got, double want, const char *what)
{
    note(dev, got, want, what);
    mjt_assert_close(got, want, 1e-9, what);
}

static void normalize3(const double *v, double *out)
{
    const double n = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
    for (int i = 0; i < 3; i++)
        out[i] = v[i] / n;
}

/* `got` equals `want` or -`want` (whichever is closer), within tol per component. */
static void close_axis_either_sign(deviation_t *dev, const double *got, const double *want,
                                   double tol, const char *what)
{
    double dot = got[0] * want[0] + got[1] * want[1] + got[2] * want[2];
    const double sign = dot < 0 ? -1.0 : 1.0;
    for (int i = 0; i < 3; i++) {
        note(dev, got[i], sign * want[i], what);
        ck_assert_msg(fabs(got[i] - sign * want[i]) <= tol,
                      "%s: axis (%.9g, %.9g, %.9g), want +-(%.9g, %.9g, %.9g)", what, got[0],
                      got[1], got[2], want[0], want[1], want[2]);
    }
}

static const char *name_or_null(const mjModel *m, int type, int id)
{
    const char *name = mj_id2name(m, type, id);
    return name != NULL && name[0] != '\0' ? name : NULL;
}

void mjt_check_sizes(const mjt_model_pin_t *pin)
{
    mjModel *m = mjt_load_model(pin->file);
    deviation_t dev = {0};
    ck_assert_int_eq(m->nq, pin->nq);
    ck_assert_int_eq(m->nv, pin->nv);
    ck_assert_int_eq(m->nu, pin->nu);
    ck_assert_int_eq(m->na, 0);
    ck_assert_int_eq(m->nbody, pin->nbody);
    ck_assert_int_eq(m->njnt, pin->njnt);
    ck_assert_int_eq(m->ngeom, pin->ngeom);
    ck_assert_msg(m->opt.timestep == pin->timestep, "timestep %.17g, want %.17g", m->opt.timestep,
                  pin->timestep);
    ck_assert_int_eq(m->opt.integrator, pin->integrator);
    ck_assert_msg(m->opt.gravity[0] == 0 && m->opt.gravity[1] == 0 && m->opt.gravity[2] == -9.81,
                  "gravity (%g, %g, %g)", m->opt.gravity[0], m->opt.gravity[1], m->opt.gravity[2]);
    ck_assert_int_eq(m->opt.cone, mjCONE_PYRAMIDAL);
    ck_assert_int_eq(m->opt.solver, mjSOL_NEWTON);
    ck_assert_int_eq(m->opt.iterations, 100);
    ck_assert_int_eq(m->opt.disableflags, 0);
    ck_assert_int_eq(m->opt.enableflags, 0);
    const double total = mj_getTotalmass(m);
    close6(&dev, total, pin->total_mass_6, "total mass (6 digits)");
    close17(&dev, total, pin->total_mass_17, "total mass (17 digits)");
    report(pin->file, "sizes, options, total mass", &dev);
    mj_deleteModel(m);
}

void mjt_check_bodies(const mjt_model_pin_t *pin)
{
    mjModel *m = mjt_load_model(pin->file);
    deviation_t dev17 = {0}, dev6 = {0}, devd = {0};
    char what[128];
    ck_assert_int_eq(m->nbody, pin->nbody);
    for (int b = 0; b < m->nbody; b++) {
        const mjt_body_pin_t *p = &pin->bodies[b];
        const char *name = name_or_null(m, mjOBJ_BODY, b);
        if (b == 0)
            ck_assert_str_eq(name, "world");
        else if (p->name == NULL)
            ck_assert_msg(name == NULL, "body %d is named \"%s\", want unnamed", b, name);
        else
            ck_assert_msg(name != NULL && strcmp(name, p->name) == 0, "body %d is %s, want %s", b,
                          name != NULL ? name : "(unnamed)", p->name);
        ck_assert_int_eq(m->body_parentid[b], p->parent);
        for (int i = 0; i < 3; i++) {
            snprintf(what, sizeof(what), "body %d pos[%d]", b, i);
            close_desc(&devd, m->body_pos[3 * b + i], p->pos[i], what);
        }
        snprintf(what, sizeof(what), "body %d mass", b);
        close17(&dev17, m->body_mass[b], p->mass, what);
        for (int i = 0; i < 3; i++) {
            snprintf(what, sizeof(what), "body %d inertia[%d]", b, i);
            close6(&dev6, m->body_inertia[3 * b + i], p->inertia[i], what);
            snprintf(what, sizeof(what), "body %d ipos[%d]", b, i);
            close6(&dev6, m->body_ipos[3 * b + i], p->ipos[i], what);
        }

        /* the principal frame, where the moments make it unique */
        const double *I = p->inertia;
        const bool eq01 = fabs(I[0] - I[1]) <= 1e-6 * I[0];
        const bool eq12 = fabs(I[1] - I[2]) <= 1e-6 * I[1];
        if (I[0] == 0.0 || (eq01 && eq12))
            continue;
        snprintf(what, sizeof(what), "body %d principal axes", b);
        if (eq01) {
            /* only the axis of the distinct (third) moment is fixed */
            const double ez[3] = {0, 0, 1};
            double got[3], want[3];
            mju_rotVecQuat(got, ez, m->body_iquat + 4 * b);
            mju_rotVecQuat(want, ez, p->iquat);
            close_axis_either_sign(&dev6, got, want, 5e-6, what);
        } else {
            const double *q = m->body_iquat + 4 * b;
            const double dot =
                q[0] * p->iquat[0] + q[1] * p->iquat[1] + q[2] * p->iquat[2] + q[3] * p->iquat[3];
            const double sign = dot < 0 ? -1.0 : 1.0;
            for (int i = 0; i < 4; i++) {
                snprintf(what, sizeof(what), "body %d iquat[%d]", b, i);
                close6(&dev6, sign * q[i], p->iquat[i], what);
            }
        }
    }
    report(pin->file, "body masses (17 digits)", &dev17);
    report(pin->file, "body inertias, inertial frames (6 digits)", &dev6);
    report(pin->file, "body positions (description)", &devd);
    mj_deleteModel(m);
}

void mjt_check_joints(const mjt_model_pin_t *pin)
{
    mjModel *m = mjt_load_model(pin->file);
    deviation_t dev17 = {0}, devd = {0};
    char what[128];
    ck_assert_int_eq(m->njnt, pin->njnt);
    for (int j = 0; j < m->njnt; j++) {
        const mjt_joint_pin_t *p = &pin->joints[j];
        const char *name = name_or_null(m, mjOBJ_JOINT, j);
        ck_assert_msg(name != NULL && strcmp(name, p->name) == 0, "joint %d is %s, want %s", j,
                      name != NULL ? name : "(unnamed)", p->name);
        ck_assert_int_eq(m->jnt_type[j], p->type);
        ck_assert_int_eq(m->jnt_bodyid[j], p->body);
        ck_assert_int_eq(m->jnt_qposadr[j], p->qposadr);
        ck_assert_int_eq(m->jnt_dofadr[j], p->dofadr);
        ck_assert_int_eq(m->jnt_limited[j], p->limited);
        if (p->limited) {
            for (int i = 0; i < 2; i++) {
                snprintf(what, sizeof(what), "joint %s range[%d]", p->name, i);
                close17(&dev17, m->jnt_range[2 * j + i], p->range[i], what);
            }
        }
        snprintf(what, sizeof(what), "joint %s stiffness", p->name);
        close17(&dev17, m->jnt_stiffness[j], p->stiffness, what);
        snprintf(what, sizeof(what), "joint %s damping", p->name);
        close17(&dev17, m->dof_damping[p->dofadr], p->damping, what);
        snprintf(what, sizeof(what), "joint %s armature", p->name);
        close17(&dev17, m->dof_armature[p->dofadr], p->armature, what);
        for (int i = 0; i < 3; i++) {
            snprintf(what, sizeof(what), "joint %s pos[%d]", p->name, i);
            close_desc(&devd, m->jnt_pos[3 * j + i], p->pos[i], what);
        }
        if (p->type != mjJNT_FREE) {
            double want[3];
            normalize3(p->axis, want);
            for (int i = 0; i < 3; i++) {
                snprintf(what, sizeof(what), "joint %s axis[%d]", p->name, i);
                close_desc(&devd, m->jnt_axis[3 * j + i], want[i], what);
            }
        }
    }
    for (int i = 0; i < m->nq; i++) {
        snprintf(what, sizeof(what), "qpos0[%d]", i);
        close17(&dev17, m->qpos0[i], pin->qpos0[i], what);
    }
    for (int i = 0; i < m->nv; i++) {
        snprintf(what, sizeof(what), "dof_damping[%d]", i);
        close17(&dev17, m->dof_damping[i], pin->dof_damping[i], what);
        snprintf(what, sizeof(what), "dof_armature[%d]", i);
        close17(&dev17, m->dof_armature[i], pin->dof_armature[i], what);
    }
    report(pin->file, "joint ranges, stiffness, damping, armature, qpos0", &dev17);
    report(pin->file, "joint positions and axes (description)", &devd);
    mj_deleteModel(m);
}

void mjt_check_geoms(const mjt_model_pin_t *pin)
{
    mjModel *m = mjt_load_model(pin->file);
    deviation_t devd = {0};
    char what[128];
    ck_assert_int_eq(m->ngeom, pin->ngeom);
    for (int g = 0; g < m->ngeom; g++) {
        const mjt_geom_pin_t *p = &pin->geoms[g];
        const char *name = name_or_null(m, mjOBJ_GEOM, g);
        ck_assert_msg(name != NULL && strcmp(name, p->name) == 0, "geom %d is %s, want %s", g,
                      name != NULL ? name : "(unnamed)", p->name);
        ck_assert_int_eq(m->geom_type[g], p->type);
        ck_assert_int_eq(m->geom_bodyid[g], p->body);
        ck_assert_int_eq(m->geom_contype[g], p->contype);
        ck_assert_int_eq(m->geom_conaffinity[g], p->conaffinity);
        ck_assert_int_eq(m->geom_condim[g], p->condim);
        const int n_size = p->type == mjGEOM_SPHERE ? 1 : 2;
        for (int i = 0; i < n_size; i++) {
            snprintf(what, sizeof(what), "geom %s size[%d]", p->name, i);
            close_desc(&devd, m->geom_size[3 * g + i], p->size[i], what);
        }
        for (int i = 0; i < 3; i++) {
            snprintf(what, sizeof(what), "geom %s pos[%d]", p->name, i);
            close_desc(&devd, m->geom_pos[3 * g + i], p->pos[i], what);
            snprintf(what, sizeof(what), "geom %s friction[%d]", p->name, i);
            close_desc(&devd, m->geom_friction[3 * g + i], p->friction[i], what);
        }

        /* orientation: the capsule's axis up to end swap, a plane's normal exactly */
        if (p->axis_kind == MJT_AXIS_NONE)
            continue;
        const double ez[3] = {0, 0, 1};
        double got[3], want[3];
        mju_rotVecQuat(got, ez, m->geom_quat + 4 * g);
        if (p->axis_kind == MJT_AXIS_YROT) {
            want[0] = sin(p->yrot);
            want[1] = 0.0;
            want[2] = cos(p->yrot);
        } else {
            normalize3(p->axis, want);
        }
        snprintf(what, sizeof(what), "geom %s axis", p->name);
        if (p->type == mjGEOM_PLANE) {
            for (int i = 0; i < 3; i++)
                close_desc(&devd, got[i], want[i], what);
        } else {
            close_axis_either_sign(&devd, got, want, 1e-9, what);
        }
    }
    report(pin->file, "geom sizes, placement, axes, friction (description)", &devd);
    mj_deleteModel(m);
}

void mjt_check_actuators(const mjt_model_pin_t *pin)
{
    mjModel *m = mjt_load_model(pin->file);
    deviation_t dev = {0};
    char what[128];
    ck_assert_int_eq(m->nu, pin->nu);
    for (int a = 0; a < m->nu; a++) {
        const mjt_actuator_pin_t *p = &pin->actuators[a];
        ck_assert_int_eq(m->actuator_trntype[a], mjTRN_JOINT);
        const int joint = mj_name2id(m, mjOBJ_JOINT, p->joint);
        ck_assert_msg(joint >= 0 && m->actuator_trnid[2 * a] == joint,
                      "actuator %d drives joint %d, want %s", a, m->actuator_trnid[2 * a],
                      p->joint);
        snprintf(what, sizeof(what), "actuator %d gear", a);
        close17(&dev, m->actuator_gear[6 * a], p->gear, what);
        for (int i = 1; i < 6; i++)
            ck_assert_msg(m->actuator_gear[6 * a + i] == 0, "actuator %d gear[%d] = %g", a, i,
                          m->actuator_gear[6 * a + i]);
        for (int i = 0; i < 2; i++) {
            snprintf(what, sizeof(what), "actuator %d ctrlrange[%d]", a, i);
            close17(&dev, m->actuator_ctrlrange[2 * a + i], p->ctrlrange[i], what);
        }
        ck_assert_int_eq(m->actuator_ctrllimited[a], p->ctrllimited);
        ck_assert_int_eq(m->actuator_forcelimited[a], 0);
        /* a plain motor: gain 1, no bias, no activation dynamics */
        ck_assert_int_eq(m->actuator_dyntype[a], mjDYN_NONE);
        ck_assert_int_eq(m->actuator_gaintype[a], mjGAIN_FIXED);
        ck_assert_int_eq(m->actuator_biastype[a], mjBIAS_NONE);
        ck_assert_msg(m->actuator_gainprm[mjNGAIN * a] == 1.0, "actuator %d gain %g", a,
                      m->actuator_gainprm[mjNGAIN * a]);
    }
    report(pin->file, "actuator gears and ctrlranges", &dev);
    mj_deleteModel(m);
}

void mjt_check_fingerprint(const mjt_model_pin_t *pin)
{
    mjModel *m = mjt_load_model(pin->file);
    mjData *d = mj_makeData(m);
    deviation_t devq = {0}, devv = {0};
    char what[64];

    /* §6's protocol: from mj_resetData, ctrl[i] = clip(0.5 sin(0.1 t + i)), one mj_step each */
    mj_resetData(m, d);
    for (int t = 0; t < 100; t++) {
        for (int i = 0; i < m->nu; i++) {
            double c = 0.5 * sin(0.1 * t + i);
            if (m->actuator_ctrllimited[i]) {
                const double lo = m->actuator_ctrlrange[2 * i];
                const double hi = m->actuator_ctrlrange[2 * i + 1];
                c = c < lo ? lo : c > hi ? hi : c;
            }
            d->ctrl[i] = c;
        }
        mj_step(m, d);
    }
    ck_assert_msg(fabs(d->time - pin->fp_time) <= 1e-12, "time %.17g, want %.17g", d->time,
                  pin->fp_time);
    ck_assert_int_eq(d->ncon, pin->fp_ncon);
    for (int i = 0; i < m->nq; i++) {
        snprintf(what, sizeof(what), "qpos[%d]", i);
        note(&devq, d->qpos[i], pin->fp_qpos[i], what);
        ck_assert_msg(fabs(d->qpos[i] - pin->fp_qpos[i]) <= 1e-8,
                      "fingerprint qpos[%d] = %.17g, want %.17g", i, d->qpos[i], pin->fp_qpos[i]);
    }
    for (int i = 0; i < m->nv; i++) {
        snprintf(what, sizeof(what), "qvel[%d]", i);
        note(&devv, d->qvel[i], pin->fp_qvel[i], what);
        ck_assert_msg(fabs(d->qvel[i] - pin->fp_qvel[i]) <= 1e-8,
                      "fingerprint qvel[%d] = %.17g, want %.17g", i, d->qvel[i], pin->fp_qvel[i]);
    }
    printf("%s: fingerprint time %.17g ncon %d\n", pin->file, d->time, d->ncon);
    report(pin->file, "100-step fingerprint qpos", &devq);
    report(pin->file, "100-step fingerprint qvel", &devv);
    mj_deleteData(d);
    mj_deleteModel(m);
}

/* ---- the env half ---- */

void mjt_inst_open(mjt_inst_t *t, const mjt_env_t *env, const char *params)
{
    memset(t, 0, sizeof(*t));
    t->plugin = ppo_test_plugin(env->plugin);
    ck_assert_int_eq(t->plugin->kind, PPO_KIND_ENV);
    t->params = ppo_test_params(t->plugin, params != NULL ? params : env->params);
    t->vt = &t->plugin->vt.env;
    t->inst = t->vt->create(&t->plugin->host, t->params);
    if (t->inst == NULL) {
        char *why = ppo_host_take_error();
        ck_abort_msg("%s: create failed: %s", env->plugin, why != NULL ? why : "(no reason)");
    }
    ppo_space_t obs, act;
    ck_assert_int_eq(t->vt->spaces(t->inst, &obs, &act), 0);
    ck_assert_int_eq(obs.kind, PPO_SPACE_BOX);
    ck_assert_int_eq(act.kind, PPO_SPACE_BOX);
    t->obs_dim = obs.dim;
    t->act_dim = act.dim;
    t->act_low = act.low;
    t->act_high = act.high;
    t->state_size = t->vt->state_size(t->inst);
}

void mjt_inst_close(mjt_inst_t *t)
{
    if (t->inst != NULL)
        t->vt->destroy(t->inst);
    if (t->params != NULL)
        ppo_params_free(t->params);
    memset(t, 0, sizeof(*t));
}

static void abort_with_error(const char *what)
{
    char *why = ppo_host_take_error();
    ck_abort_msg("%s failed: %s", what, why != NULL ? why : "(no reason)");
}

void mjt_reset(mjt_inst_t *t, ppo_rng_t *rng, float *obs)
{
    if (t->vt->reset(t->inst, rng, obs) != 0)
        abort_with_error("reset");
}

void mjt_step(mjt_inst_t *t, const float *action, ppo_rng_t *rng, float *obs, double *reward,
              int *terminated)
{
    if (t->vt->step(t->inst, action, rng, obs, reward, terminated) != 0)
        abort_with_error("step");
}

void mjt_get_state(mjt_inst_t *t, double *state)
{
    if (t->vt->get_state(t->inst, state) != 0)
        abort_with_error("get_state");
}

void mjt_set_state(mjt_inst_t *t, const double *state, float *obs)
{
    if (t->vt->set_state(t->inst, state, obs) != 0)
        abort_with_error("set_state");
}

void mjt_random_action(const mjt_inst_t *t, ppo_rng_t *rng, float *action)
{
    for (uint32_t i = 0; i < t->act_dim; i++)
        action[i] = (float)ppo_rng_uniform_range(rng, t->act_low[i], t->act_high[i]);
}

size_t mjt_qvel_at(const mjModel *m)
{
    return (size_t)m->nq;
}

size_t mjt_time_at(const mjModel *m)
{
    return (size_t)(m->nq + m->nv + m->na);
}

size_t mjt_extra_at(const mjModel *m)
{
    return (size_t)(m->nq + m->nv + m->na + 1 + m->nv);
}

void mjt_check_spaces(const mjt_env_t *env)
{
    mjModel *m = mjt_load_model(env->model_file);
    mjt_inst_t t;
    mjt_inst_open(&t, env, NULL);
    ck_assert_uint_eq(t.vt->max_episode_steps, 1000);
    ck_assert_uint_eq(t.obs_dim, env->obs_dim);
    ck_assert_uint_eq(t.act_dim, env->act_dim);
    ck_assert_uint_eq(t.act_dim, (uint32_t)m->nu);
    ppo_space_t obs, act;
    t.vt->spaces(t.inst, &obs, &act);
    for (uint32_t i = 0; i < obs.dim; i++)
        ck_assert_msg(obs.low[i] == -HUGE_VAL && obs.high[i] == HUGE_VAL,
                      "observation %u is bounded", i);
    for (int i = 0; i < m->nu; i++)
        ck_assert_msg(act.low[i] == m->actuator_ctrlrange[2 * i] &&
                          act.high[i] == m->actuator_ctrlrange[2 * i + 1],
                      "action %d box [%g, %g], ctrlrange [%g, %g]", i, act.low[i], act.high[i],
                      m->actuator_ctrlrange[2 * i], m->actuator_ctrlrange[2 * i + 1]);
    ck_assert_uint_eq(t.state_size, mjt_extra_at(m) + env->n_extra);

    /* render_text: one line naming the env, after a reset */
    ppo_rng_t rng;
    float obs_row[256];
    ppo_rng_seed(&rng, 1, "env", 0);
    mjt_reset(&t, &rng, obs_row);
    FILE *f = tmpfile();
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(t.vt->render_text(t.inst, f), 0);
    rewind(f);
    char line[512] = "";
    ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
    ck_assert_msg(strncmp(line, env->plugin, strlen(env->plugin)) == 0 && strstr(line, "t=0.000"),
                  "render_text wrote \"%s\"", line);
    ck_assert_int_eq(fgetc(f), EOF);
    printf("%s: render_text: %s", env->plugin, line);
    fclose(f);
    mjt_inst_close(&t);
    mj_deleteModel(m);
}

/* obs (obs_dim floats) equals the float cast of the test's observation of `state`. */
static void assert_obs_of_state(const mjt_env_t *env, const mjModel *m, const double *state,
                                const float *obs, uint32_t obs_dim, const char *when)
{
    double want[256];
    ck_assert_uint_le(obs_dim, 256);
    env->observe(env, m, state, want);
    for (uint32_t i = 0; i < obs_dim; i++) {
        ck_assert_msg(isfinite(obs[i]), "%s: observation %u is %g", when, i, (double)obs[i]);
        ck_assert_msg(obs[i] == (float)want[i], "%s: observation %u is %.9g, want %.9g", when, i,
                      (double)obs[i], want[i]);
    }
}

int mjt_check_random_steps(const mjt_env_t *env, int n_steps)
{
    mjModel *m = mjt_load_model(env->model_file);
    mjt_inst_t t;
    mjt_inst_open(&t, env, NULL);
    ppo_rng_t env_rng, act_rng;
    ppo_rng_seed(&env_rng, 11, "env", 0);
    ppo_rng_seed(&act_rng, 11, "act", 0);
    float obs[256], action[16];
    double *before = g_new(double, t.state_size);
    double *after = g_new(double, t.state_size);
    double max_dev = 0.0, reward_min = HUGE_VAL, reward_max = -HUGE_VAL;
    int n_terminated = 0, n_episodes = 1;
    char when[64];

    mjt_reset(&t, &env_rng, obs);
    mjt_get_state(&t, after);
    assert_obs_of_state(env, m, after, obs, t.obs_dim, "after reset");
    for (int k = 0; k < n_steps; k++) {
        double reward, want_reward;
        int terminated, want_terminated;
        mjt_get_state(&t, before);
        mjt_random_action(&t, &act_rng, action);
        mjt_step(&t, action, &env_rng, obs, &reward, &terminated);
        mjt_get_state(&t, after);

        /* the observation, reward and flag follow from the states around the step */
        snprintf(when, sizeof(when), "step %d", k);
        assert_obs_of_state(env, m, after, obs, t.obs_dim, when);
        env->reward(env, m, before, after, action, &want_reward, &want_terminated);
        ck_assert_msg(isfinite(reward), "%s: reward %g", when, reward);
        mjt_assert_close(reward, want_reward, 1e-12, when);
        max_dev = fmax(max_dev, fabs(reward - want_reward));
        ck_assert_msg(terminated == want_terminated, "%s: terminated %d, want %d", when, terminated,
                      want_terminated);
        ck_assert_msg(after[mjt_time_at(m)] - before[mjt_time_at(m)] > 0, "%s: time", when);
        reward_min = fmin(reward_min, reward);
        reward_max = fmax(reward_max, reward);
        if (terminated) {
            n_terminated++;
            n_episodes++;
            mjt_reset(&t, &env_rng, obs);
        }
    }
    printf("%s: %d random steps, %d episodes, %d terminated, reward in [%.4g, %.4g], max reward "
           "deviation from the recomputed one %.3g\n",
           env->plugin, n_steps, n_episodes, n_terminated, reward_min, reward_max, max_dev);
    g_free(before);
    g_free(after);
    mjt_inst_close(&t);
    mj_deleteModel(m);
    return n_terminated;
}

void mjt_check_resume_bitwise(const mjt_env_t *env)
{
    enum { N_RUN = 100, N_SPLITS = 40, N_AFTER = 8 };
    mjt_inst_t a, b;
    mjt_inst_open(&a, env, NULL);
    mjt_inst_open(&b, env, NULL);
    const size_t ns = a.state_size;
    const uint32_t no = a.obs_dim;
    ppo_rng_t rng_a, rng_b, act_rng;
    ppo_rng_seed(&rng_a, 21, "env", 0);
    ppo_rng_seed(&rng_b, 22, "env", 0);
    ppo_rng_seed(&act_rng, 21, "act", 0);
    float *actions = g_new(float, (size_t)N_RUN * 16);
    float *obs = g_new(float, (size_t)(N_RUN + 1) * no);
    double *states = g_new(double, (size_t)(N_RUN + 1) * ns);
    double rewards[N_RUN];
    int flags[N_RUN];
    float obs_b[256], action[16];
    double reward_b, *state_b = g_new(double, ns);
    int term_b;

    /* the uninterrupted run: every state, observation, reward and flag */
    mjt_reset(&a, &rng_a, obs);
    mjt_get_state(&a, states);
    for (int k = 0; k < N_RUN; k++) {
        mjt_random_action(&a, &act_rng, actions + 16 * k);
        mjt_step(&a, actions + 16 * k, &rng_a, obs + (size_t)(k + 1) * no, &rewards[k], &flags[k]);
        mjt_get_state(&a, states + (size_t)(k + 1) * ns);
    }

    /* b, after a reset and steps of its own, takes the state saved after step s: the
     * observation and the following steps are the uninterrupted run's, bit for bit */
    mjt_reset(&b, &rng_b, obs_b);
    for (int k = 0; k < 5; k++) {
        mjt_random_action(&b, &act_rng, action);
        mjt_step(&b, action, &rng_b, obs_b, &reward_b, &term_b);
    }
    for (int s = 0; s < N_SPLITS; s++) {
        mjt_set_state(&b, states + (size_t)s * ns, obs_b);
        ck_assert_msg(memcmp(obs + (size_t)s * no, obs_b, sizeof(float) * no) == 0,
                      "split %d: set_state's observation differs", s);
        for (int k = s; k < s + N_AFTER; k++) {
            mjt_step(&b, actions + 16 * k, &rng_b, obs_b, &reward_b, &term_b);
            mjt_get_state(&b, state_b);
            ck_assert_msg(memcmp(obs + (size_t)(k + 1) * no, obs_b, sizeof(float) * no) == 0,
                          "split %d, step %d: observations differ", s, k);
            ck_assert_msg(memcmp(&rewards[k], &reward_b, sizeof(double)) == 0,
                          "split %d, step %d: reward %.17g after resume, %.17g without", s, k,
                          reward_b, rewards[k]);
            ck_assert_int_eq(flags[k], term_b);
            ck_assert_msg(memcmp(states + (size_t)(k + 1) * ns, state_b, sizeof(double) * ns) == 0,
                          "split %d, step %d: states differ", s, k);
        }
    }
    printf("%s: resumed at each of steps 0..%d: the %d following steps bit-identical\n",
           env->plugin, N_SPLITS - 1, N_AFTER);
    g_free(actions);
    g_free(obs);
    g_free(states);
    g_free(state_b);
    mjt_inst_close(&a);
    mjt_inst_close(&b);
}

void mjt_check_matches_model_file(const mjt_env_t *env)
{
    enum { N_STEPS = 100 };
    mjModel *m = mjt_load_model(env->model_file);
    mjData *d = mj_makeData(m);
    mjt_inst_t t;
    mjt_inst_open(&t, env, NULL);
    ppo_rng_t rng, act_rng;
    ppo_rng_seed(&rng, 31, "env", 0);
    ppo_rng_seed(&act_rng, 31, "act", 0);
    float obs[256], action[16];
    double reward;
    int terminated;
    double *state = g_new(double, t.state_size);

    /* start MuJoCo from the plugin's reset state, as set_state would */
    mjt_reset(&t, &rng, obs);
    mjt_get_state(&t, state);
    mj_resetData(m, d);
    memcpy(d->qpos, state, sizeof(double) * (size_t)m->nq);
    memcpy(d->qvel, state + mjt_qvel_at(m), sizeof(double) * (size_t)m->nv);
    d->time = state[mjt_time_at(m)];
    mj_forward(m, d);
    memcpy(d->qpos, state, sizeof(double) * (size_t)m->nq);
    memcpy(d->qacc_warmstart, state + mjt_time_at(m) + 1, sizeof(double) * (size_t)m->nv);

    /* each env step: ctrl = action, frame_skip mj_step calls */
    for (int k = 0; k < N_STEPS; k++) {
        mjt_random_action(&t, &act_rng, action);
        mjt_step(&t, action, &rng, obs, &reward, &terminated);
        for (int i = 0; i < m->nu; i++)
            d->ctrl[i] = action[i];
        for (int j = 0; j < env->frame_skip; j++)
            mj_step(m, d);
        mjt_get_state(&t, state);
        ck_assert_msg(memcmp(state, d->qpos, sizeof(double) * (size_t)m->nq) == 0 &&
                          memcmp(state + mjt_qvel_at(m), d->qvel, sizeof(double) * (size_t)m->nv) ==
                              0 &&
                          state[mjt_time_at(m)] == d->time &&
                          memcmp(state + mjt_time_at(m) + 1, d->qacc_warmstart,
                                 sizeof(double) * (size_t)m->nv) == 0,
                      "step %d: the plugin's state differs from the model file's", k);
    }
    printf("%s: %d steps bit-identical to ctrl = action and %d mj_step calls on %s\n", env->plugin,
           N_STEPS, env->frame_skip, env->model_file);
    g_free(state);
    mjt_inst_close(&t);
    mj_deleteData(d);
    mj_deleteModel(m);
}

/* Whether some positive multiple of the unit quaternion q (4) lies in the box q0 +- s, i.e. q
 * is the normalized form of qpos0 plus noise of at most s per component. */
static bool quat_from_box(const double *q, const double *q0, double s)
{
    double lo = 0.0, hi = HUGE_VAL;
    for (int i = 0; i < 4; i++) {
        const double a = q0[i] - s, b = q0[i] + s;
        if (q[i] > 0) {
            lo = fmax(lo, a / q[i]);
            hi = fmin(hi, b / q[i]);
        } else if (q[i] < 0) {
            lo = fmax(lo, b / q[i]);
            hi = fmin(hi, a / q[i]);
        } else if (a > 0 || b < 0) {
            return false;
        }
    }
    return lo <= hi * (1 + 1e-12);
}

/* Address of the quaternion of joint j in qpos, or -1. */
static int quat_adr(const mjModel *m, int j)
{
    if (m->jnt_type[j] == mjJNT_FREE)
        return m->jnt_qposadr[j] + 3;
    if (m->jnt_type[j] == mjJNT_BALL)
        return m->jnt_qposadr[j];
    return -1;
}

void mjt_check_reset_distribution(const mjt_env_t *env, int n, double qpos_noise, double qvel_noise,
                                  bool qvel_normal)
{
    mjModel *m = mjt_load_model(env->model_file);
    mjt_inst_t t;
    mjt_inst_open(&t, env, NULL);
    ppo_rng_t rng, again;
    float obs[256], obs_again[256];
    double *state = g_new(double, t.state_size);
    double *state_again = g_new(double, t.state_size);
    double qpos_lo = HUGE_VAL, qpos_hi = -HUGE_VAL, qvel_lo = HUGE_VAL, qvel_hi = -HUGE_VAL;
    double sum = 0.0, sum_sq = 0.0;
    long count = 0;

    ck_assert_int_le(m->nq, 64);
    ppo_rng_seed(&rng, 41, "env", 0);
    for (int r = 0; r < n; r++) {
        mjt_reset(&t, &rng, obs);
        mjt_get_state(&t, state);
        assert_obs_of_state(env, m, state, obs, t.obs_dim, "after reset");
        ck_assert_msg(state[mjt_time_at(m)] == 0.0, "time after reset %g", state[mjt_time_at(m)]);
        /* quaternions come back normalized by mj_forward, as in Gymnasium on MuJoCo 2.2.2 */
        bool is_quat[64] = {false};
        for (int j = 0; j < m->njnt; j++) {
            const int a = quat_adr(m, j);
            if (a < 0)
                continue;
            const double *q = state + a;
            ck_assert_msg(fabs(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3] - 1) < 1e-12,
                          "reset %d: joint %d quaternion not normalized", r, j);
            ck_assert_msg(quat_from_box(q, m->qpos0 + a, qpos_noise),
                          "reset %d: joint %d quaternion is not qpos0 + noise, normalized", r, j);
            for (int i = 0; i < 4; i++)
                is_quat[a + i] = true;
        }
        for (int i = 0; i < m->nq; i++) {
            if (is_quat[i])
                continue;
            const double e = state[i] - m->qpos0[i];
            ck_assert_msg(e >= -qpos_noise && e <= qpos_noise, "reset %d: qpos[%d] - qpos0 = %g", r,
                          i, e);
            qpos_lo = fmin(qpos_lo, e);
            qpos_hi = fmax(qpos_hi, e);
        }
        for (int i = 0; i < m->nv; i++) {
            const double v = state[mjt_qvel_at(m) + i];
            if (!qvel_normal)
                ck_assert_msg(v >= -qvel_noise && v <= qvel_noise, "reset %d: qvel[%d] = %g", r, i,
                              v);
            qvel_lo = fmin(qvel_lo, v);
            qvel_hi = fmax(qvel_hi, v);
            sum += v;
            sum_sq += v * v;
            count++;
        }
    }

    /* the noise fills its range (uniform) or has the right spread (normal) */
    ck_assert_msg(qpos_lo < -0.95 * qpos_noise && qpos_hi > 0.95 * qpos_noise,
                  "qpos noise spans [%g, %g] of +-%g", qpos_lo, qpos_hi, qpos_noise);
    const double mean = sum / (double)count;
    const double std = sqrt(sum_sq / (double)count - mean * mean);
    if (qvel_normal) {
        ck_assert_msg(fabs(mean) < 5.0 * qvel_noise / sqrt((double)count), "qvel mean %g", mean);
        ck_assert_msg(fabs(std / qvel_noise - 1.0) < 0.05, "qvel std %g, want %g", std, qvel_noise);
    } else {
        ck_assert_msg(qvel_lo < -0.95 * qvel_noise && qvel_hi > 0.95 * qvel_noise,
                      "qvel noise spans [%g, %g] of +-%g", qvel_lo, qvel_hi, qvel_noise);
        ck_assert_msg(fabs(std / (qvel_noise / sqrt(3.0)) - 1.0) < 0.05, "qvel std %g", std);
    }
    printf("%s: %d resets: qpos - qpos0 in [%.4g, %.4g], qvel in [%.4g, %.4g], qvel mean %.3g "
           "std %.4g\n",
           env->plugin, n, qpos_lo, qpos_hi, qvel_lo, qvel_hi, mean, std);

    /* the same stream gives the same start */
    ppo_rng_seed(&rng, 42, "env", 0);
    ppo_rng_seed(&again, 42, "env", 0);
    mjt_reset(&t, &rng, obs);
    mjt_get_state(&t, state);
    mjt_reset(&t, &again, obs_again);
    mjt_get_state(&t, state_again);
    ck_assert(memcmp(obs, obs_again, sizeof(float) * t.obs_dim) == 0);
    ck_assert(memcmp(state, state_again, sizeof(double) * t.state_size) == 0);

    g_free(state);
    g_free(state_again);
    mjt_inst_close(&t);
    mj_deleteModel(m);
}

/* One thread's run: create, reset, random steps (reset on termination), final state, destroy. */
typedef struct thread_job {
    const mjt_env_t *env;
    ppo_plugin_t *plugin;
    const ppo_params_t *params;
    uint64_t seed;
    int n_steps;
    double *rewards;     /* (n_steps) */
    float *obs;          /* (n_steps, obs_dim) */
    double *final_state; /* (state_size) */
    uint32_t obs_dim;
    int rc;      /* 0, or the first failure */
    char *error; /* the plugin's message on failure */
} thread_job_t;

static gpointer run_job(gpointer data)
{
    thread_job_t *job = data;
    const ppo_env_vtable_t *vt = &job->plugin->vt.env;
    ppo_rng_t rng, act_rng;
    float action[16];
    int terminated;
    ppo_space_t obs_space, act_space;
    void *inst = vt->create(&job->plugin->host, job->params);
    if (inst == NULL) {
        job->rc = -1;
        job->error = ppo_host_take_error();
        return NULL;
    }
    vt->spaces(inst, &obs_space, &act_space);
    ppo_rng_seed(&rng, job->seed, "env", 0);
    ppo_rng_seed(&act_rng, job->seed, "act", 0);
    job->rc = vt->reset(inst, &rng, job->obs);
    for (int k = 0; k < job->n_steps && job->rc == 0; k++) {
        float *row = job->obs + (size_t)k * job->obs_dim;
        for (uint32_t i = 0; i < act_space.dim; i++)
            action[i] = (float)ppo_rng_uniform_range(&act_rng, act_space.low[i], act_space.high[i]);
        job->rc = vt->step(inst, action, &rng, row, &job->rewards[k], &terminated);
        if (job->rc == 0 && terminated)
            job->rc = vt->reset(inst, &rng, row);
    }
    if (job->rc == 0)
        job->rc = vt->get_state(inst, job->final_state);
    if (job->rc != 0)
        job->error = ppo_host_take_error();
    vt->destroy(inst);
    return NULL;
}

void mjt_check_threads_match_sequential(const mjt_env_t *env)
{
    enum { N_STEPS = 300, N_JOBS = 4 };
    mjt_inst_t t;
    mjt_inst_open(&t, env, NULL);
    ppo_plugin_t *plugin = t.plugin;
    const uint32_t obs_dim = t.obs_dim;
    const size_t state_size = t.state_size;
    /* with no instance left the model is freed, so the threads race to compile it again */
    mjt_inst_close(&t);
    ppo_params_t *params = ppo_test_params(plugin, env->params);
    thread_job_t jobs[N_JOBS];
    for (int j = 0; j < N_JOBS; j++) {
        jobs[j] = (thread_job_t){
            .env = env,
            .plugin = plugin,
            .params = params,
            .seed = 51 + (uint64_t)(j % 2),
            .n_steps = N_STEPS,
            .rewards = g_new0(double, N_STEPS),
            .obs = g_new0(float, (size_t)N_STEPS *obs_dim),
            .final_state = g_new0(double, state_size),
            .obs_dim = obs_dim,
        };
    }

    /* jobs 0 and 1 at once in two threads, jobs 2 and 3 one after the other here */
    GThread *a = g_thread_new("env-a", run_job, &jobs[0]);
    GThread *b = g_thread_new("env-b", run_job, &jobs[1]);
    g_thread_join(a);
    g_thread_join(b);
    run_job(&jobs[2]);
    run_job(&jobs[3]);
    for (int j = 0; j < N_JOBS; j++)
        ck_assert_msg(jobs[j].rc == 0, "job %d failed: %s", j,
                      jobs[j].error != NULL ? jobs[j].error : "(no reason)");
    for (int j = 0; j < 2; j++) {
        const thread_job_t *x = &jobs[j], *y = &jobs[j + 2];
        ck_assert_msg(memcmp(x->rewards, y->rewards, sizeof(double) * N_STEPS) == 0,
                      "seed %d: rewards differ between threaded and sequential runs", (int)x->seed);
        ck_assert_msg(memcmp(x->obs, y->obs, sizeof(float) * N_STEPS * x->obs_dim) == 0,
                      "seed %d: observations differ between threaded and sequential runs",
                      (int)x->seed);
        ck_assert_msg(memcmp(x->final_state, y->final_state, sizeof(double) * state_size) == 0,
                      "seed %d: final states differ", (int)x->seed);
    }
    ck_assert_msg(memcmp(jobs[0].obs, jobs[1].obs, sizeof(float) * N_STEPS * obs_dim) != 0,
                  "different seeds gave the same observations");
    printf("%s: 2 threads x %d steps bit-identical to the sequential runs\n", env->plugin, N_STEPS);
    for (int j = 0; j < N_JOBS; j++) {
        g_free(jobs[j].rewards);
        g_free(jobs[j].obs);
        g_free(jobs[j].final_state);
        g_free(jobs[j].error);
    }
    ppo_params_free(params);
}

void mjt_check_unstable_step_fails(const mjt_env_t *env)
{
    mjModel *m = mjt_load_model(env->model_file);
    char *dir = g_dir_make_tmp("ppo-mujoco-XXXXXX", NULL);
    char *old_cwd = g_get_current_dir();
    ck_assert_ptr_nonnull(dir);
    ck_assert_int_eq(chdir(dir), 0);
    mjt_inst_t t;
    mjt_inst_open(&t, env, NULL);
    ppo_rng_t rng;
    float obs[256], action[16] = {0};
    double reward;
    int terminated;
    double *state = g_new(double, t.state_size);

    /* a velocity beyond MuJoCo's 1e10 limit */
    ppo_rng_seed(&rng, 61, "env", 0);
    mjt_reset(&t, &rng, obs);
    mjt_get_state(&t, state);
    state[mjt_qvel_at(m)] = 1e11;
    mjt_set_state(&t, state, obs);
    ck_assert_int_lt(t.vt->step(t.inst, action, &rng, obs, &reward, &terminated), 0);
    char *why = ppo_host_take_error();
    ck_assert_ptr_nonnull(why);
    ck_assert_msg(strstr(why, env->plugin) != NULL && strstr(why, "qvel at DOF 0") != NULL &&
                      strstr(why, "unstable") != NULL,
                  "message: %s", why);
    printf("%s: unstable step reported as: %s\n", env->plugin, why);
    g_free(why);

    /* nothing written where MuJoCo logs by default; stepping on needs a reset */
    ck_assert_msg(!g_file_test("MUJOCO_LOG.TXT", G_FILE_TEST_EXISTS),
                  "MuJoCo wrote MUJOCO_LOG.TXT");
    ck_assert_int_lt(t.vt->step(t.inst, action, &rng, obs, &reward, &terminated), 0);
    why = ppo_host_take_error();
    ck_assert_msg(why != NULL && strstr(why, "reset") != NULL, "message: %s", why);
    g_free(why);
    mjt_reset(&t, &rng, obs);
    mjt_step(&t, action, &rng, obs, &reward, &terminated);

    g_free(state);
    mjt_inst_close(&t);
    ck_assert_int_eq(chdir(old_cwd), 0);
    rmdir(dir);
    g_free(dir);
    g_free(old_cwd);
    mj_deleteModel(m);
}

static void raise_mujoco_error(const mjModel *m, mjData *d)
{
    mju_error("error raised by the test's control callback");
}

void mjt_check_mujoco_error_fails_step(const mjt_env_t *env)
{
    mjt_inst_t t;
    mjt_inst_open(&t, env, NULL);
    ppo_rng_t rng;
    float obs[256], action[16] = {0};
    double reward;
    int terminated;
    ppo_rng_seed(&rng, 81, "env", 0);
    mjt_reset(&t, &rng, obs);
    mjt_step(&t, action, &rng, obs, &reward, &terminated);

    /* the next step's control callback raises a MuJoCo error */
    mjcb_control = raise_mujoco_error;
    const int rc = t.vt->step(t.inst, action, &rng, obs, &reward, &terminated);
    mjcb_control = NULL;
    ck_assert_int_lt(rc, 0);
    char *why = ppo_host_take_error();
    ck_assert_msg(why != NULL && strstr(why, env->plugin) != NULL &&
                      strstr(why, "MuJoCo error") != NULL &&
                      strstr(why, "error raised by the test's control callback") != NULL,
                  "message: %s", why);
    printf("%s: MuJoCo error reported as: %s\n", env->plugin, why);
    g_free(why);

    /* stepping on needs a reset, which recovers */
    ck_assert_int_lt(t.vt->step(t.inst, action, &rng, obs, &reward, &terminated), 0);
    g_free(ppo_host_take_error());
    mjt_reset(&t, &rng, obs);
    for (int k = 0; k < 10; k++)
        mjt_step(&t, action, &rng, obs, &reward, &terminated);
    mjt_inst_close(&t);
}

double *mjt_reset_state(const mjt_env_t *env, const char *params, size_t *state_size)
{
    mjt_inst_t t;
    ppo_rng_t rng;
    float obs[256];
    mjt_inst_open(&t, env, params);
    ppo_rng_seed(&rng, 1, "env", 0);
    mjt_reset(&t, &rng, obs);
    double *state = g_new(double, t.state_size);
    mjt_get_state(&t, state);
    *state_size = t.state_size;
    mjt_inst_close(&t);
    return state;
}

int mjt_step_from(const mjt_env_t *env, const char *params, const double *state, double *reward,
                  double *after)
{
    mjt_inst_t t;
    ppo_rng_t rng;
    float obs[256], action[16] = {0};
    int terminated;
    mjt_inst_open(&t, env, params);
    ppo_rng_seed(&rng, 1, "env", 0);
    mjt_set_state(&t, state, obs);
    mjt_step(&t, action, &rng, obs, reward, &terminated);
    if (after != NULL)
        mjt_get_state(&t, after);
    mjt_inst_close(&t);
    return terminated;
}

char *mjt_create_fails(const mjt_env_t *env, const char *params)
{
    ppo_plugin_t *plugin = ppo_test_plugin(env->plugin);
    ppo_params_t *p = ppo_test_params(plugin, params);
    void *inst = plugin->vt.env.create(&plugin->host, p);
    ck_assert_msg(inst == NULL, "%s: create accepted %s", env->plugin, params);
    char *why = ppo_host_take_error();
    ck_assert_ptr_nonnull(why);
    ppo_params_free(p);
    return why;
}
