"""From answers to a plan: the answers file (answers) read once into a profile (profile),
scored (scoring, sensitivity), matched (matching), and turned into a plan (graph, plan,
actions, costs); effort counts the questions, scenarios checks the model on real programs."""
