# plugins/policies
