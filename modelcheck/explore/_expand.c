/* The per-transition part of the breadth-first search, compiled.
 *
 * expand(successors, fp_of, seen, coverage, kind_of, pair_of) -> (transitions, new)
 *
 * Walks the (action, state) pairs a spec's successors() gave for one state, as the loop
 * in bfs.py does: counts each action under its kind in ``coverage`` (a string action
 * itself, a tuple action's first item, else kind_of(action)), fingerprints the state
 * (``hash`` when fp_of is None, else fp_of(state)), and adds the fingerprints not in
 * ``seen`` to it.  Returns the number of pairs and the list of (index, state) of the new
 * states, in order; the caller numbers, links, queues and checks them.  An item that is not
 * a tuple of two goes through pair_of (Python's own unpacking, for the same errors as the
 * Python loop).  Optional: bfs.py
 * runs the same loop in Python (expand_py) when this module was not built.
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
        PyObject *pair = item;
        if (!PyTuple_CheckExact(pair) || PyTuple_GET_SIZE(pair) != 2) {
            pair = PyObject_CallOneArg(pair_of, item);  /* a tuple of two, or Python's error */
            Py_DECREF(item);
            if (pair == NULL)
                goto fail;
            if (!PyTuple_CheckExact(pair) || PyTuple_GET_SIZE(pair) != 2) {
                PyErr_SetString(PyExc_TypeError, "expand(): pair_of must return a tuple of two");
                Py_DECREF(pair);
                goto fail;
            }
        }
        PyObject *action = PyTuple_GET_ITEM(pair, 0), *state = PyTuple_GET_ITEM(pair, 1);
        if (count_kind(coverage, action, kind_of) < 0) {
            Py_DECREF(pair);
            goto fail;
        }
        PyObject *fp;
        if (fp_of == Py_None) {
            Py_hash_t h = PyObject_Hash(state);
            fp = h == -1 && PyErr_Occurred() ? NULL : PyLong_FromSsize_t(h);
        } else {
            fp = PyObject_CallOneArg(fp_of, state);
        }
        if (fp == NULL) {
            Py_DECREF(pair);
            goto fail;
        }
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

static PyMethodDef methods[] = {
    {"expand", (PyCFunction)(void (*)(void))expand, METH_FASTCALL,
     "expand(successors, fp_of, seen, coverage, kind_of, pair_of) -> (transitions, [(index, state) of the new states])"},
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
