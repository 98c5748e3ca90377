// Every optimizer, gradient clipping and learning-rate schedule in attograd::optim.
#pragma once

#include <attograd/optim/adagrad.hpp>
#include <attograd/optim/adam.hpp>
#include <attograd/optim/adam_update.hpp>
#include <attograd/optim/adamw.hpp>
#include <attograd/optim/clip_grad.hpp>
#include <attograd/optim/lr_scheduler.hpp>
#include <attograd/optim/optimizer.hpp>
#include <attograd/optim/rmsprop.hpp>
#include <attograd/optim/sgd.hpp>
#include <attograd/optim/training_state.hpp>
