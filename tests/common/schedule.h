// SPDX-License-Identifier: MIT
#pragma once

#include "generators.h"
#include "simulation.h"

#include <functional>

namespace collab::testing {

// How often each kind of step is drawn.
struct Weights
{
    int edit = 30;
    int deliver = 60;
    int duplicate = 4;
    int disconnect = 3;
    int reconnect = 6;
};

enum class Action { Edit, Deliver, Duplicate, Disconnect, Reconnect };

// An edit for client `client` on its text `doc`.
using EditMaker = std::function<TextOperation(int client, const QString &doc)>;

inline rc::Gen<qsizetype> genPosition(const QString &doc)
{
    std::vector<qsizetype> safe;
    for (qsizetype i = 0; i <= doc.size(); ++i)
        if (!splitsPair(doc, i))
            safe.push_back(i);
    return rc::gen::elementOf(safe);
}

inline void assertOk(const Simulation &sim)
{
    RC_ASSERT(sim.failure() == QString());
}

// One random schedule: local edits on random clients, deliveries on random channels (each channel FIFO),
// duplicated upstream messages, disconnects (dropping what is in flight) and reconnects.
inline void runSchedule(Simulation &sim, int steps, const Weights &w, const EditMaker &makeEdit)
{
    for (int s = 0; s < steps; ++s) {
        const Action action = *rc::gen::weightedElement<Action>({{w.edit, Action::Edit},
                                                                 {w.deliver, Action::Deliver},
                                                                 {w.duplicate, Action::Duplicate},
                                                                 {w.disconnect, Action::Disconnect},
                                                                 {w.reconnect, Action::Reconnect}});
        const int i = *rc::gen::inRange(0, sim.size());
        switch (action) {
        case Action::Edit:
            sim.localEdit(i, makeEdit(i, sim.peer(i).text));
            break;
        case Action::Deliver: {
            // Channels 0..n-1 are upstream, n..2n-1 downstream.
            std::vector<int> channels = sim.pendingUp();
            for (int d : sim.pendingDown())
                channels.push_back(sim.size() + d);
            if (channels.empty())
                break;
            const int channel = *rc::gen::elementOf(channels);
            if (channel < sim.size())
                sim.deliverUp(channel);
            else
                sim.deliverDown(channel - sim.size());
            break;
        }
        case Action::Duplicate: {
            const std::vector<int> ups = sim.pendingUp();
            if (ups.empty())
                break;
            const int c = *rc::gen::elementOf(ups);
            sim.duplicateUp(c, *rc::gen::inRange<size_t>(0, sim.peer(c).up.size()));
            break;
        }
        case Action::Disconnect:
            if (sim.peer(i).online)
                sim.disconnect(i);
            break;
        case Action::Reconnect:
            sim.reconnect(i);
            break;
        }
        assertOk(sim);
    }
}

} // namespace collab::testing
