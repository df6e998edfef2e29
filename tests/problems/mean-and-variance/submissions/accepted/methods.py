def mean_and_variance(x):
    centred = x - x.mean()
    return x.mean(), (centred * centred).mean()
