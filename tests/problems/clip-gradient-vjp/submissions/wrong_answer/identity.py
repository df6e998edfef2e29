def clip_gradient(x):
    return x
