// The grammar of the ssmc DSL: layers written per time step, functions, initializers, imports.
//
// Keywords are kept few on purpose (a grammar literal stops that word being an identifier):
// dtype names, builtins and reduction names are identifiers that sema resolves, so that
// `linear(...)`, `causal_conv(...)` or new reductions need no grammar change.
grammar Ssm;

file        : decl* EOF ;

decl        : importDecl
            | fnDecl
            | initDecl
            | layerDecl
            ;

importDecl  : 'import' STRING ';'? ;

annotation  : '#' ID ;

fnDecl      : annotation* 'fn' name=ID '(' (params+=ID (',' params+=ID)*)? ')'
              ( '{' letStmt* 'return' ret=expr ';'? '}'
              | '=' ret=expr ';'?
              ) ;

initDecl    : 'init' name=ID '[' idx+=ID (',' idx+=ID)* ']' '=' body=expr ';'? ;

layerDecl   : 'layer' name=ID '(' 'dims' dimDecl (',' dimDecl)* ')' '{' layerItem* '}' ;

dimDecl     : name=ID ('=' size=NUMBER)? ;

layerItem   : tensorDecl
            | letStmt
            ;

tensorDecl  : role=('in' | 'param' | 'state' | 'out') name=ID ':' tensorType ('=' value=expr)? ';'? ;

tensorType  : dtype=ID? '[' (dims+=ID (',' dims+=ID)*)? ']' ;

letStmt     : 'let' ( single=ID | '(' names+=ID (',' names+=ID)+ ')' ) '=' value=expr ';'? ;

expr        : op='-' expr                                                   # negExpr
            | lhs=expr op=('*' | '/' | '@') rhs=expr                        # mulExpr
            | lhs=expr op=('+' | '-') rhs=expr                              # addExpr
            | lhs=expr op=('<' | '<=' | '>' | '>=' | '==' | '!=') rhs=expr  # cmpExpr
            | 'if' cond=expr 'then' thenE=expr 'else' elseE=expr            # ifExpr
            | primary                                                       # primaryExpr
            ;

primary     : NUMBER                                                        # numberLit
            | callee=ID '(' (args+=arg (',' args+=arg)*)? ')'               # callExpr
            | reducer=ID '[' dim=ID ']' '(' body=expr ')'                   # reduceExpr
            | ID                                                            # nameExpr
            | '(' expr ')'                                                  # parenExpr
            | '(' elems+=expr (',' elems+=expr)+ ')'                        # tupleExpr
            ;

arg         : (key=ID '=')? value=expr ;

NUMBER      : DIGITS ('.' DIGITS?)? EXPONENT?
            | '.' DIGITS EXPONENT?
            ;
fragment DIGITS   : [0-9]+ ;
fragment EXPONENT : [eE] [+-]? DIGITS ;
ID          : [a-zA-Z_] [a-zA-Z0-9_]* ;
STRING      : '"' (~["\\\r\n] | '\\' .)* '"' ;
LINE_COMMENT: '//' ~[\r\n]* -> skip ;
BLOCK_COMMENT: '/*' .*? '*/' -> skip ;
WS          : [ \t\r\n]+ -> skip ;
ERRCHAR     : . ;
