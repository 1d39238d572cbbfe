"""The GraphQL layer: transport and shape. Business rules live in models/, access rules in
permissions/."""
