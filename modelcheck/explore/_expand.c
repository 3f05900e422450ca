/* The searches' per-transition loops, compiled: expand() for the breadth-first search
 * (bfs.py) and shard_expand() for a shard of the parallel one (parallel.py).
 *
 * Each does exactly what its Python twin in expand.py does (expand_py, shard_expand_py),
 * which runs where this module was not built: see expand.py.
 *
 * expand(successors, fp_of, seen, coverage, kind_of, pair_of) -> (transitions, new)
 *
 * Walks the (action, state) pairs a spec's successors() gave for one state: counts each
 * action under its kind in ``coverage`` (a string action itself, a tuple action's first
 * item, else kind_of(action)), fingerprints the state (``hash`` when fp_of is None, else
 * fp_of(state)), and adds the fingerprints not in ``seen`` to it.  Returns the number of
 * pairs and the list of (index, state) of the new states, in order; the caller numbers,
 * links, queues and checks them.  An item that is not a tuple of two goes through pair_of
 * (Python's own unpacking, for the same errors as the Python loop).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static int
count_kind(PyObject *coverage, PyObject *action, PyObject *kind_of)
{
    PyObject *kind;
    int owned = 0;
    if (PyUnicode_CheckExact(action)) {
        kind = action;
    } else if (PyTuple_CheckExact(action) && PyTuple_GET_SIZE(action) > 0) {
        kind = PyTuple_GET_ITEM(action, 0);
    } else {
        kind = PyObject_CallOneArg(kind_of, action);
        if (kind == NULL)
            return -1;
        owned = 1;
    }
    PyObject *old = PyDict_GetItemWithError(coverage, kind);  /* borrowed */
    Py_ssize_t count = 1;
    if (old != NULL) {
        count = PyLong_AsSsize_t(old);
        if (count == -1 && PyErr_Occurred())
            goto fail;
        count += 1;
    } else if (PyErr_Occurred()) {
        goto fail;
    }
    PyObject *value = PyLong_FromSsize_t(count);
    if (value == NULL)
        goto fail;
    int err = PyDict_SetItem(coverage, kind, value);
    Py_DECREF(value);
    if (owned)
        Py_DECREF(kind);
    return err;
fail:
    if (owned)
        Py_DECREF(kind);
    return -1;
}

/* ``item`` (a new reference, consumed) as an exact (action, state) tuple, or NULL with
 * Python's own unpacking error (through pair_of) */
static PyObject *
next_pair(PyObject *item, PyObject *pair_of)
{
    if (PyTuple_CheckExact(item) && PyTuple_GET_SIZE(item) == 2)
        return item;
    PyObject *pair = PyObject_CallOneArg(pair_of, item);
    Py_DECREF(item);
    if (pair != NULL && (!PyTuple_CheckExact(pair) || PyTuple_GET_SIZE(pair) != 2)) {
        PyErr_SetString(PyExc_TypeError, "pair_of must return a tuple of two");
        Py_CLEAR(pair);
    }
    return pair;
}

/* What both loops do with one item of successors(): unpack it (next_pair), count its
 * action in ``coverage``, fingerprint its state (fp_of(state), or hash(state) when fp_of
 * is None).  Returns the fingerprint and sets *pair (new references; the item is
 * consumed), or NULL with an exception. */
static PyObject *
visit(PyObject *item, PyObject *pair_of, PyObject *coverage, PyObject *kind_of, PyObject *fp_of,
      PyObject **pair)
{
    *pair = next_pair(item, pair_of);
    if (*pair == NULL)
        return NULL;
    PyObject *fp = NULL, *state = PyTuple_GET_ITEM(*pair, 1);
    if (count_kind(coverage, PyTuple_GET_ITEM(*pair, 0), kind_of) == 0) {
        if (fp_of != Py_None) {
            fp = PyObject_CallOneArg(fp_of, state);
        } else {
            Py_hash_t h = PyObject_Hash(state);
            fp = h == -1 && PyErr_Occurred() ? NULL : PyLong_FromSsize_t(h);
        }
    }
    if (fp == NULL)
        Py_CLEAR(*pair);
    return fp;
}

static PyObject *
expand(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 6) {
        PyErr_SetString(PyExc_TypeError, "expand() takes 6 arguments");
        return NULL;
    }
    PyObject *successors = args[0], *fp_of = args[1], *seen = args[2], *coverage = args[3],
             *kind_of = args[4], *pair_of = args[5];
    if (!PySet_Check(seen) || !PyDict_Check(coverage)) {
        PyErr_SetString(PyExc_TypeError, "expand(): seen must be a set and coverage a dict");
        return NULL;
    }
    PyObject *it = PyObject_GetIter(successors);
    if (it == NULL)
        return NULL;
    PyObject *new = PyList_New(0);
    if (new == NULL) {
        Py_DECREF(it);
        return NULL;
    }
    Py_ssize_t k = 0;
    PyObject *item;
    while ((item = PyIter_Next(it)) != NULL) {
        PyObject *pair, *fp = visit(item, pair_of, coverage, kind_of, fp_of, &pair);
        if (fp == NULL)
            goto fail;
        PyObject *state = PyTuple_GET_ITEM(pair, 1);
        int known = PySet_Contains(seen, fp);
        if (known == 0) {
            PyObject *entry = NULL;
            if (PySet_Add(seen, fp) < 0 || (entry = PyTuple_New(2)) == NULL) {
                known = -1;
            } else {
                PyTuple_SET_ITEM(entry, 0, PyLong_FromSsize_t(k));
                Py_INCREF(state);
                PyTuple_SET_ITEM(entry, 1, state);
                if (PyTuple_GET_ITEM(entry, 0) == NULL || PyList_Append(new, entry) < 0)
                    known = -1;
                Py_DECREF(entry);
            }
        }
        Py_DECREF(fp);
        Py_DECREF(pair);
        if (known < 0)
            goto fail;
        k++;
    }
    if (PyErr_Occurred())
        goto fail;
    Py_DECREF(it);
    PyObject *out = Py_BuildValue("(nN)", k, new);
    return out;
fail:
    Py_DECREF(it);
    Py_DECREF(new);
    return NULL;
}

/* path + (k,) */
static PyObject *
extend_path(PyObject *path, Py_ssize_t k)
{
    Py_ssize_t n = PyTuple_GET_SIZE(path);
    PyObject *out = PyTuple_New(n + 1);
    if (out == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *x = PyTuple_GET_ITEM(path, i);
        Py_INCREF(x);
        PyTuple_SET_ITEM(out, i, x);
    }
    PyObject *last = PyLong_FromSsize_t(k);
    if (last == NULL) {
        Py_DECREF(out);
        return NULL;
    }
    PyTuple_SET_ITEM(out, n, last);
    return out;
}

/* shard_expand(successors, key_of, count, me, seen, sent, coverage, kind_of, pair_of, mine,
 *              held, out, path) -> transitions
 *
 * The parallel search's loop over one state's successors (parallel.py, Shard.expand, with
 * keys every shard computes alike): coverage as in expand(); the key (``key_of``, None:
 * hash) picks the owner, ``key % count``; a key this shard owns and has not seen goes to
 * ``seen`` and ``mine[key] = (path + (k,), state)``; another shard's key not yet ``sent``
 * goes to ``sent``, ``held[key] = (path + (k,), state)`` and ``out[owner]`` as
 * ``(key, path + (k,))``.  On an error the caller runs its Python loop again to say where.
 */
static PyObject *
shard_expand(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 13) {
        PyErr_SetString(PyExc_TypeError, "shard_expand() takes 13 arguments");
        return NULL;
    }
    PyObject *successors = args[0], *key_of = args[1], *count = args[2], *seen = args[4],
             *sent = args[5], *coverage = args[6], *kind_of = args[7], *pair_of = args[8],
             *mine = args[9], *held = args[10], *out = args[11], *path = args[12];
    Py_ssize_t me = PyLong_AsSsize_t(args[3]);
    if (me == -1 && PyErr_Occurred())
        return NULL;
    if (!PySet_Check(seen) || !PySet_Check(sent) || !PyDict_Check(coverage) || !PyDict_Check(mine)
        || !PyDict_Check(held) || !PyList_Check(out) || !PyTuple_Check(path)) {
        PyErr_SetString(PyExc_TypeError, "shard_expand(): wrong argument types");
        return NULL;
    }
    PyObject *it = PyObject_GetIter(successors);
    if (it == NULL)
        return NULL;
    Py_ssize_t k = 0;
    PyObject *item;
    while ((item = PyIter_Next(it)) != NULL) {
        PyObject *pair, *key = visit(item, pair_of, coverage, kind_of, key_of, &pair);
        if (key == NULL)
            goto fail;
        PyObject *state = PyTuple_GET_ITEM(pair, 1), *rest = NULL, *p = NULL, *entry = NULL;
        int err = -1;
        if ((rest = PyNumber_Remainder(key, count)) == NULL)
            goto next;
        Py_ssize_t owner = PyLong_AsSsize_t(rest);
        if (owner == -1 && PyErr_Occurred())
            goto next;
        if (owner == me) {
            int known = PySet_Contains(seen, key);
            if (known != 0) {
                err = known < 0 ? -1 : 0;
                goto next;
            }
            if (PySet_Add(seen, key) < 0 || (p = extend_path(path, k)) == NULL
                || (entry = PyTuple_Pack(2, p, state)) == NULL || PyDict_SetItem(mine, key, entry) < 0)
                goto next;
        } else {
            int known = PySet_Contains(sent, key);
            if (known != 0) {
                err = known < 0 ? -1 : 0;
                goto next;
            }
            if (owner < 0 || owner >= PyList_GET_SIZE(out)) {
                PyErr_SetString(PyExc_IndexError, "shard_expand(): owner out of range");
                goto next;
            }
            if (PySet_Add(sent, key) < 0 || (p = extend_path(path, k)) == NULL
                || (entry = PyTuple_Pack(2, p, state)) == NULL || PyDict_SetItem(held, key, entry) < 0)
                goto next;
            Py_DECREF(entry);
            if ((entry = PyTuple_Pack(2, key, p)) == NULL
                || PyList_Append(PyList_GET_ITEM(out, owner), entry) < 0)
                goto next;
        }
        err = 0;
    next:
        Py_XDECREF(entry);
        Py_XDECREF(p);
        Py_XDECREF(rest);
        Py_XDECREF(key);
        Py_DECREF(pair);
        if (err < 0)
            goto fail;
        k++;
    }
    if (PyErr_Occurred())
        goto fail;
    Py_DECREF(it);
    return PyLong_FromSsize_t(k);
fail:
    Py_DECREF(it);
    return NULL;
}

static PyMethodDef methods[] = {
    {"expand", (PyCFunction)(void (*)(void))expand, METH_FASTCALL,
     "expand(successors, fp_of, seen, coverage, kind_of, pair_of) -> (transitions, [(index, state) of the new states])"},
    {"shard_expand", (PyCFunction)(void (*)(void))shard_expand, METH_FASTCALL,
     "shard_expand(successors, key_of, count, me, seen, sent, coverage, kind_of, pair_of, mine, held, out, path) "
     "-> transitions"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_expand",
    .m_doc = "The breadth-first search's per-transition loop, compiled.",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC
PyInit__expand(void)
{
    return PyModule_Create(&module);
}
