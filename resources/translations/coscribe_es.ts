<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="es_ES">
<context>
    <name>QObject</name>
    <message>
        <source>Anonymous</source>
        <translation>Anónimo</translation>
    </message>
</context>
<context>
    <name>main</name>
    <message>
        <source>Write a text together with other people.</source>
        <translation>Escribir un texto junto con otras personas.</translation>
    </message>
    <message>
        <source>Your display name.</source>
        <translation>Tu nombre visible.</translation>
    </message>
    <message>
        <source>name</source>
        <translation>nombre</translation>
    </message>
    <message>
        <source>Your cursor colour, #rrggbb.</source>
        <translation>El color de tu cursor, #rrggbb.</translation>
    </message>
    <message>
        <source>colour</source>
        <translation>color</translation>
    </message>
    <message>
        <source>Access token, if the server needs one.</source>
        <translation>Token de acceso, si el servidor lo pide.</translation>
    </message>
    <message>
        <source>token</source>
        <translation>token</translation>
    </message>
    <message>
        <source>Type this text into the document (demo).</source>
        <translation>Escribir este texto en el documento (demostración).</translation>
    </message>
    <message>
        <source>text</source>
        <translation>texto</translation>
    </message>
    <message>
        <source>Another relay of the same deployment to fail over to, ws://host:port (repeatable).</source>
        <translation>Otro relé del mismo despliegue al que pasar si este falla, ws://servidor:puerto (se puede repetir).</translation>
    </message>
    <message>
        <source>url</source>
        <translation>url</translation>
    </message>
    <message>
        <source>The document to open: ws://host:port/document, a coscribe:// link or the web editor&apos;s address.</source>
        <translation>El documento que abrir: ws://host:puerto/documento, un enlace coscribe:// o la dirección del editor web.</translation>
    </message>
    <message>
        <source>coscribe: not a document link: %1 (expected ws://host:port/document, coscribe://host:port/document or http://host:port/d/document)</source>
        <translation>coscribe: no es un enlace a un documento: %1 (se espera ws://host:puerto/documento, coscribe://host:puerto/documento o http://host:puerto/d/documento)</translation>
    </message>
    <message>
        <source>Create the document if it does not exist, without asking.</source>
        <translation>Crear el documento si no existe, sin preguntar.</translation>
    </message>
</context>
<context>
    <name>syncing::DocumentSession</name>
    <message>
        <source>Not a document address: %1 (expected ws://host:port/document)</source>
        <translation>No es la dirección de un documento: %1 (se esperaba ws://servidor:puerto/documento)</translation>
    </message>
    <message>
        <source>The local store in %1 cannot be used</source>
        <translation>No se puede usar el almacén local en %1</translation>
    </message>
    <message>
        <source>The local copy of %1 was damaged: its unsent edits could not be kept, and what the store could not rebuild is taken from the server</source>
        <translation>La copia local de %1 estaba dañada: no se pudieron conservar sus ediciones sin enviar, y lo que el almacén no pudo reconstruir se toma del servidor</translation>
    </message>
    <message>
        <source>%1. Your edits are kept and sent when it answers; check the address in File › Connect… if this persists.</source>
        <translation>%1. Tus ediciones se guardan y se envían cuando responda; si esto persiste, revisa la dirección en Archivo › Conectar…</translation>
    </message>
    <message>
        <source>The pending edits do not fit the server&apos;s text</source>
        <translation>Las ediciones pendientes no encajan en el texto del servidor</translation>
    </message>
    <message>
        <source>A server operation does not fit the cached text</source>
        <translation>Una operación del servidor no encaja en el texto guardado</translation>
    </message>
    <message>
        <source>A remote edit does not fit the local text</source>
        <translation>Una edición remota no encaja en el texto local</translation>
    </message>
    <message>
        <source>An acknowledged edit does not fit the cached text</source>
        <translation>Una edición confirmada no encaja en el texto guardado</translation>
    </message>
    <message>
        <source>The server reported %1: %2</source>
        <translation>El servidor informó de %1: %2</translation>
    </message>
    <message>
        <source>The document %1 was deleted on the server</source>
        <translation>El documento %1 se borró en el servidor</translation>
    </message>
    <message>
        <source>Resynchronising with the server: %1</source>
        <translation>Resincronizando con el servidor: %1</translation>
    </message>
    <message>
        <source>The relay&apos;s copy of this document went back to an older state (revision %1; this editor had seen %2): edits it lost are gone from it. Your unsent edits are kept and sent again.</source>
        <translation>La copia del relé de este documento volvió a un estado anterior (revisión %1; este editor había visto la %2): las ediciones que perdió ya no están en ella. Tus ediciones sin enviar se conservan y se envían de nuevo.</translation>
    </message>
</context>
<context>
    <name>syncing::RelayLink</name>
    <message>
        <source>Cannot reach %1: %2</source>
        <translation>No se puede conectar con %1: %2</translation>
    </message>
    <message>
        <source>The relay refused access (%1). Check the token in File › Connect…</source>
        <translation>El relé denegó el acceso (%1). Revisa el token en Archivo › Conectar…</translation>
    </message>
    <message>
        <source>The relay says this editor&apos;s identity for the document belongs to another client. Close the document and open it again in a fresh profile, and report this to the relay&apos;s admin.</source>
        <translation>El relé dice que la identidad de este editor para el documento pertenece a otro cliente. Cierra el documento y ábrelo de nuevo con un perfil nuevo, y avisa al administrador del relé.</translation>
    </message>
    <message>
        <source>An edit was larger than the relay accepts in one message (%1). It is kept here; the relay&apos;s admin can raise --max-message-bytes.</source>
        <translation>Una edición era mayor de lo que el relé acepta en un mensaje (%1). Se conserva aquí; el administrador del relé puede aumentar --max-message-bytes.</translation>
    </message>
    <message>
        <source>The document would exceed the relay&apos;s size limit (%1): your last edit is kept here but not sent. Undo it, or remove text, to go on sharing.</source>
        <translation>El documento superaría el límite de tamaño del relé (%1): tu última edición se conserva aquí pero no se envía. Deshazla, o quita texto, para seguir compartiendo.</translation>
    </message>
    <message>
        <source>%1. Ask the relay&apos;s admin to raise the limit, or delete documents you no longer need.</source>
        <translation>%1. Pide al administrador del relé que aumente el límite, o borra documentos que ya no necesites.</translation>
    </message>
    <message>
        <source>This editor and the relay speak different protocol versions (%1): update the editor.</source>
        <translation>Este editor y el relé hablan versiones distintas del protocolo (%1): actualiza el editor.</translation>
    </message>
    <message>
        <source>The relay has no room for another connection (%1); retrying.</source>
        <translation>El relé no tiene sitio para otra conexión (%1); reintentando.</translation>
    </message>
    <message>
        <source>You have read-only access to this document: your edits stay here and are not shared.</source>
        <translation>Tienes acceso de solo lectura a este documento: tus ediciones se quedan aquí y no se comparten.</translation>
    </message>
    <message>
        <source>The relay cannot open this document: %1</source>
        <translation>El relé no puede abrir este documento: %1</translation>
    </message>
    <message>
        <source>The relay closed the connection: %1. Check the token and address in File › Connect…</source>
        <translation>El relé cerró la conexión: %1. Revisa el token y la dirección en Archivo › Conectar…</translation>
    </message>
    <message>
        <source>The relay closed the connection because a message was too large (%1).</source>
        <translation>El relé cerró la conexión porque un mensaje era demasiado grande (%1).</translation>
    </message>
    <message>
        <source>The relay has trouble with its storage (%1); retrying, your edits are kept.</source>
        <translation>El relé tiene problemas con su almacenamiento (%1); reintentando, tus ediciones se conservan.</translation>
    </message>
    <message>
        <source>The relay does not speak this editor&apos;s protocol version: update the editor.</source>
        <translation>El relé no habla la versión del protocolo de este editor: actualiza el editor.</translation>
    </message>
    <message>
        <source>The relay timed out waiting for this editor to introduce itself; retrying.</source>
        <translation>El relé se cansó de esperar a que este editor se presentara; reintentando.</translation>
    </message>
    <message>
        <source>The relay stopped hearing from this editor (heartbeat); retrying.</source>
        <translation>El relé dejó de recibir señales de este editor (latido); reintentando.</translation>
    </message>
    <message>
        <source>The relay dropped the connection because this editor did not read fast enough; retrying.</source>
        <translation>El relé cortó la conexión porque este editor no leía lo bastante rápido; reintentando.</translation>
    </message>
    <message>
        <source>The relay dropped the connection for sending too fast; retrying more slowly.</source>
        <translation>El relé cortó la conexión por enviar demasiado rápido; reintentando más despacio.</translation>
    </message>
    <message>
        <source>The relay closed the connection (code %1: %2); retrying.</source>
        <translation>El relé cerró la conexión (código %1: %2); reintentando.</translation>
    </message>
</context>
<context>
    <name>syncing::TextFile</name>
    <message>
        <source>This is not a text file: UTF-16 with an odd number of bytes.</source>
        <translation>No es un archivo de texto: UTF-16 con un número impar de bytes.</translation>
    </message>
    <message>
        <source>This is not a text file: invalid UTF-16.</source>
        <translation>No es un archivo de texto: UTF-16 no válido.</translation>
    </message>
    <message>
        <source>This looks like a binary file (it holds NUL bytes), not text: it was not opened.</source>
        <translation>Parece un archivo binario (contiene bytes NUL), no texto: no se ha abierto.</translation>
    </message>
    <message>
        <source>This is not a UTF-8 or UTF-16 text file (it may be binary, or in a legacy encoding): it was not opened. Convert it to UTF-8 first, e.g. with iconv.</source>
        <translation>No es un archivo de texto UTF-8 ni UTF-16 (puede ser binario o estar en una codificación antigua): no se ha abierto. Conviértelo antes a UTF-8, por ejemplo con iconv.</translation>
    </message>
    <message>
        <source>This looks like a binary file (it holds NUL characters), not text: it was not opened.</source>
        <translation>Parece un archivo binario (contiene caracteres NUL), no texto: no se ha abierto.</translation>
    </message>
    <message>
        <source>UTF-8 with BOM</source>
        <translation>UTF-8 con BOM</translation>
    </message>
    <message>
        <source>mixed line endings</source>
        <translation>finales de línea mezclados</translation>
    </message>
</context>
<context>
    <name>ui::AwayPanel</name>
    <message numerus="yes">
        <source>While you were away, %1 changed the text (revisions %2 to %3, %n place(s)%4).</source>
        <translation>
            <numerusform>Mientras no estaba, %1 cambió el texto (revisiones %2 a %3, %n lugar%4).</numerusform>
            <numerusform>Mientras no estaba, %1 cambió el texto (revisiones %2 a %3, %n lugares%4).</numerusform>
        </translation>
    </message>
    <message>
        <source>others</source>
        <translation>otros</translation>
    </message>
    <message>
        <source>, marked</source>
        <translation>, marcados</translation>
    </message>
    <message>
        <source> or </source>
        <translation> o </translation>
    </message>
    <message>
        <source>Someone</source>
        <translation>Alguien</translation>
    </message>
    <message numerus="yes">
        <source>%n character(s)</source>
        <translation>
            <numerusform>%n carácter</numerusform>
            <numerusform>%n caracteres</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 inserted %2</source>
        <translation>%1 insertó %2</translation>
    </message>
    <message>
        <source>%1 deleted %2</source>
        <translation>%1 borró %2</translation>
    </message>
    <message>
        <source>%1 replaced %2 with %3</source>
        <translation>%1 sustituyó %2 por %3</translation>
    </message>
    <message>
        <source>%1 deleted %2, %3 inserted %4</source>
        <translation>%1 borró %2, %3 insertó %4</translation>
    </message>
    <message>
        <source> · line %1</source>
        <translation> · línea %1</translation>
    </message>
</context>
<context>
    <name>ui::ConnectDialog</name>
    <message>
        <source>Connect to a Server</source>
        <translation>Conectar a un servidor</translation>
    </message>
    <message>
        <source>only if the server asks for one</source>
        <translation>solo si el servidor lo pide</translation>
    </message>
    <message>
        <source>&amp;Server:</source>
        <translation>&amp;Servidor:</translation>
    </message>
    <message>
        <source>&amp;Document:</source>
        <translation>&amp;Documento:</translation>
    </message>
    <message>
        <source>&amp;Token:</source>
        <translation>&amp;Token:</translation>
    </message>
    <message>
        <source>Display &amp;name:</source>
        <translation>&amp;Nombre visible:</translation>
    </message>
    <message>
        <source>Cursor &amp;colour:</source>
        <translation>&amp;Color del cursor:</translation>
    </message>
    <message>
        <source>C&amp;onnect</source>
        <translation>C&amp;onectar</translation>
    </message>
    <message>
        <source>Cursor Colour</source>
        <translation>Color del cursor</translation>
    </message>
    <message>
        <source>Please give a server address such as ws://127.0.0.1:7300 and a document name made of letters, digits, &apos;.&apos;, &apos;_&apos; or &apos;-&apos;.</source>
        <translation>Indica una dirección de servidor como ws://127.0.0.1:7300 y un nombre de documento hecho de letras, dígitos, &apos;.&apos;, &apos;_&apos; o &apos;-&apos;.</translation>
    </message>
</context>
<context>
    <name>ui::DocumentBrowser</name>
    <message>
        <source>Open from Server</source>
        <translation>Abrir desde el servidor</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Nombre</translation>
    </message>
    <message>
        <source>Id</source>
        <translation>Id</translation>
    </message>
    <message>
        <source>People</source>
        <translation>Personas</translation>
    </message>
    <message>
        <source>Revision</source>
        <translation>Revisión</translation>
    </message>
    <message>
        <source>&amp;Open</source>
        <translation>&amp;Abrir</translation>
    </message>
    <message>
        <source>&amp;New Document...</source>
        <translation>&amp;Nuevo documento...</translation>
    </message>
    <message>
        <source>&amp;Refresh</source>
        <translation>Actua&amp;lizar</translation>
    </message>
    <message>
        <source>Documents on %1:</source>
        <translation>Documentos en %1:</translation>
    </message>
    <message>
        <source>Connecting to %1...</source>
        <translation>Conectando con %1...</translation>
    </message>
    <message>
        <source>New Document</source>
        <translation>Nuevo documento</translation>
    </message>
    <message>
        <source>Document name (letters, digits, &apos;.&apos;, &apos;_&apos;, &apos;-&apos;):</source>
        <translation>Nombre del documento (letras, cifras, &apos;.&apos;, &apos;_&apos;, &apos;-&apos;):</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a valid document name.</source>
        <translation>«%1» no es un nombre de documento válido.</translation>
    </message>
    <message>
        <source>The server says: %1</source>
        <translation>El servidor dice: %1</translation>
    </message>
    <message numerus="yes">
        <source>%n document(s)</source>
        <translation>
            <numerusform>%n documento</numerusform>
            <numerusform>%n documentos</numerusform>
        </translation>
    </message>
    <message>
        <source>The connection to %1 was closed</source>
        <translation>Se cerró la conexión con %1</translation>
    </message>
</context>
<context>
    <name>ui::FindReplaceDialog</name>
    <message>
        <source>Match &amp;case</source>
        <translation>Distinguir &amp;mayúsculas</translation>
    </message>
    <message>
        <source>Find and Replace</source>
        <translation>Buscar y reemplazar</translation>
    </message>
    <message>
        <source>&amp;Find:</source>
        <translation>&amp;Buscar:</translation>
    </message>
    <message>
        <source>Replace &amp;with:</source>
        <translation>Reemplazar &amp;con:</translation>
    </message>
    <message>
        <source>Find &amp;Next</source>
        <translation>Buscar &amp;siguiente</translation>
    </message>
    <message>
        <source>Find &amp;Previous</source>
        <translation>Buscar &amp;anterior</translation>
    </message>
    <message>
        <source>&amp;Replace</source>
        <translation>&amp;Reemplazar</translation>
    </message>
    <message>
        <source>Replace &amp;All</source>
        <translation>Reemplazar &amp;todo</translation>
    </message>
    <message>
        <source>&quot;%1&quot; was not found.</source>
        <translation>No se encontró «%1».</translation>
    </message>
    <message numerus="yes">
        <source>Replaced %n occurrence(s).</source>
        <translation>
            <numerusform>Se reemplazó %n aparición.</numerusform>
            <numerusform>Se reemplazaron %n apariciones.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ui::HistoryPanel</name>
    <message>
        <source>&amp;Restore</source>
        <translation>&amp;Restaurar</translation>
    </message>
    <message>
        <source>&amp;Name Version...</source>
        <translation>&amp;Nombrar versión...</translation>
    </message>
    <message>
        <source>Make the text what it was at this point again (one edit, which you can undo)</source>
        <translation>Devolver el texto a como estaba en este punto (una edición, que puede deshacer)</translation>
    </message>
    <message>
        <source>Name Version</source>
        <translation>Nombrar versión</translation>
    </message>
    <message>
        <source>Name for revision %1:</source>
        <translation>Nombre para la revisión %1:</translation>
    </message>
    <message>
        <source>Name for the current text:</source>
        <translation>Nombre para el texto actual:</translation>
    </message>
    <message>
        <source>★ %1
revision %2 · named by %3</source>
        <translation>★ %1
revisión %2 · nombrada por %3</translation>
    </message>
    <message>
        <source>revision %1</source>
        <translation>revisión %1</translation>
    </message>
    <message>
        <source>revisions %1–%2</source>
        <translation>revisiones %1–%2</translation>
    </message>
    <message>
        <source>%1 · +%2 −%3
%4 · %5</source>
        <translation>%1 · +%2 −%3
%4 · %5</translation>
    </message>
    <message>
        <source>Revision %1%2</source>
        <translation>Revisión %1%2</translation>
    </message>
    <message>
        <source> — by %1</source>
        <translation> — de %1</translation>
    </message>
</context>
<context>
    <name>ui::MainWindow</name>
    <message>
        <source>Open a document from a server to start writing together.</source>
        <translation>Abre un documento de un servidor para empezar a escribir juntos.</translation>
    </message>
    <message>
        <source>This document is empty: start typing. Everyone who opens it sees your text.</source>
        <translation>Este documento está vacío: empieza a escribir. Todos los que lo abran verán tu texto.</translation>
    </message>
    <message>
        <source>Coscribe</source>
        <translation>Coscribe</translation>
    </message>
    <message>
        <source>%1 — Coscribe</source>
        <translation>%1 — Coscribe</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>&amp;Archivo</translation>
    </message>
    <message>
        <source>File</source>
        <translation>Archivo</translation>
    </message>
    <message>
        <source>&amp;New Document...</source>
        <translation>&amp;Nuevo documento...</translation>
    </message>
    <message>
        <source>Create a document on the server and open it</source>
        <translation>Crear un documento en el servidor y abrirlo</translation>
    </message>
    <message>
        <source>&amp;Open from Server...</source>
        <translation>&amp;Abrir desde el servidor...</translation>
    </message>
    <message>
        <source>Choose one of the server&apos;s documents</source>
        <translation>Elegir uno de los documentos del servidor</translation>
    </message>
    <message>
        <source>&amp;Connect...</source>
        <translation>&amp;Conectar...</translation>
    </message>
    <message>
        <source>Choose the server, your name and your cursor colour</source>
        <translation>Elegir el servidor, tu nombre y el color de tu cursor</translation>
    </message>
    <message>
        <source>&amp;Recent</source>
        <translation>&amp;Recientes</translation>
    </message>
    <message>
        <source>&amp;Import File...</source>
        <translation>&amp;Importar archivo...</translation>
    </message>
    <message>
        <source>Insert a text file at the cursor</source>
        <translation>Insertar un archivo de texto en el cursor</translation>
    </message>
    <message>
        <source>&amp;Close Window</source>
        <translation>C&amp;errar ventana</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Salir</translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation>&amp;Editar</translation>
    </message>
    <message>
        <source>Edit</source>
        <translation>Editar</translation>
    </message>
    <message>
        <source>&amp;Undo</source>
        <translation>&amp;Deshacer</translation>
    </message>
    <message>
        <source>Undo your last edit (other people&apos;s edits stay)</source>
        <translation>Deshacer tu última edición (las de los demás se mantienen)</translation>
    </message>
    <message>
        <source>&amp;Redo</source>
        <translation>&amp;Rehacer</translation>
    </message>
    <message>
        <source>Cu&amp;t</source>
        <translation>Cor&amp;tar</translation>
    </message>
    <message>
        <source>&amp;Copy</source>
        <translation>&amp;Copiar</translation>
    </message>
    <message>
        <source>&amp;Paste</source>
        <translation>&amp;Pegar</translation>
    </message>
    <message>
        <source>Select &amp;All</source>
        <translation>Seleccionar &amp;todo</translation>
    </message>
    <message>
        <source>&amp;Find/Replace...</source>
        <translation>&amp;Buscar/Reemplazar...</translation>
    </message>
    <message>
        <source>Find &amp;Next</source>
        <translation>Buscar &amp;siguiente</translation>
    </message>
    <message>
        <source>Show Remote &amp;Cursors</source>
        <translation>Mostrar &amp;cursores remotos</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>Ay&amp;uda</translation>
    </message>
    <message>
        <source>&amp;About Coscribe</source>
        <translation>&amp;Acerca de Coscribe</translation>
    </message>
    <message>
        <source>About &amp;Qt</source>
        <translation>Acerca de &amp;Qt</translation>
    </message>
    <message>
        <source>Participants</source>
        <translation>Participantes</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>&amp;Ver</translation>
    </message>
    <message>
        <source>&amp;Participants</source>
        <translation>&amp;Participantes</translation>
    </message>
    <message>
        <source>No document</source>
        <translation>Sin documento</translation>
    </message>
    <message>
        <source>Online, read-only</source>
        <translation>Conectado, solo lectura</translation>
    </message>
    <message>
        <source>Online</source>
        <translation>Conectado</translation>
    </message>
    <message numerus="yes">
        <source>sending %n edit(s)</source>
        <translation>
            <numerusform>enviando %n edición</numerusform>
            <numerusform>enviando %n ediciones</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Connecting, %n edit(s) pending</source>
        <translation>
            <numerusform>Conectando, %n edición pendiente</numerusform>
            <numerusform>Conectando, %n ediciones pendientes</numerusform>
        </translation>
    </message>
    <message>
        <source>Connecting</source>
        <translation>Conectando</translation>
    </message>
    <message numerus="yes">
        <source>Offline, %n edit(s) pending</source>
        <translation>
            <numerusform>Sin conexión, %n edición pendiente</numerusform>
            <numerusform>Sin conexión, %n ediciones pendientes</numerusform>
        </translation>
    </message>
    <message>
        <source>Offline</source>
        <translation>Sin conexión</translation>
    </message>
    <message>
        <source>RTT %1 ms</source>
        <translation>RTT %1 ms</translation>
    </message>
    <message>
        <source>RTT –</source>
        <translation>RTT –</translation>
    </message>
    <message>
        <source>Revision %1</source>
        <translation>Revisión %1</translation>
    </message>
    <message>
        <source>Import File</source>
        <translation>Importar archivo</translation>
    </message>
    <message>
        <source>Text files (*.txt *.md *.text);;All files (*)</source>
        <translation>Archivos de texto (*.txt *.md *.text);;Todos los archivos (*)</translation>
    </message>
    <message>
        <source>Cannot read file %1:
%2.</source>
        <translation>No se puede leer el archivo %1:
%2.</translation>
    </message>
    <message>
        <source>Imported %1</source>
        <translation>Importado %1</translation>
    </message>
    <message>
        <source>Export</source>
        <translation>Exportar</translation>
    </message>
    <message>
        <source>Exported to %1</source>
        <translation>Exportado a %1</translation>
    </message>
    <message>
        <source>Cannot write file %1:
%2.</source>
        <translation>No se puede escribir el archivo %1:
%2.</translation>
    </message>
    <message>
        <source>About Coscribe</source>
        <translation>Acerca de Coscribe</translation>
    </message>
    <message>
        <source>&lt;b&gt;Coscribe&lt;/b&gt; %1&lt;br&gt;Write the same text together, live, with or without a network. Edits made offline are kept and merged when the server is back.</source>
        <translation>&lt;b&gt;Coscribe&lt;/b&gt; %1&lt;br&gt;Escribid el mismo texto juntos, en vivo, con o sin red. Las ediciones hechas sin conexión se guardan y se fusionan cuando vuelve el servidor.</translation>
    </message>
    <message>
        <source>History</source>
        <translation>Historial</translation>
    </message>
    <message>
        <source>&amp;History</source>
        <translation>&amp;Historial</translation>
    </message>
    <message>
        <source>Show &amp;Authors</source>
        <translation>Mostrar &amp;autores</translation>
    </message>
    <message>
        <source>While You Were Away</source>
        <translation>Mientras no estaba</translation>
    </message>
    <message>
        <source>Mark as &amp;Read</source>
        <translation>Marcar como &amp;leído</translation>
    </message>
    <message>
        <source>&amp;Changes</source>
        <translation>&amp;Cambios</translation>
    </message>
    <message>
        <source>Connecting to %1… What you type now is kept and sent once connected.</source>
        <translation>Conectando con %1… Lo que escribas ahora se guarda y se envía al conectar.</translation>
    </message>
    <message>
        <source>Not connected to %1%2. What you type is kept on this computer and sent when the connection is back.</source>
        <translation>Sin conexión con %1%2. Lo que escribas se guarda en este equipo y se envía cuando vuelva la conexión.</translation>
    </message>
    <message>
        <source>Unsent Edits</source>
        <translation>Ediciones sin enviar</translation>
    </message>
    <message numerus="yes">
        <source>The server refused %n edit(s) of yours: this document is read-only for you now.</source>
        <translation>
            <numerusform>El servidor rechazó %n edición tuya: ahora este documento es de solo lectura para ti.</numerusform>
            <numerusform>El servidor rechazó %n ediciones tuyas: ahora este documento es de solo lectura para ti.</numerusform>
        </translation>
    </message>
    <message>
        <source>Save the text with your edits to a file, so that they are not lost?%1</source>
        <translation>¿Guardar el texto con tus ediciones en un archivo, para no perderlas?%1</translation>
    </message>
    <message>
        <source>&amp;Save to File...</source>
        <translation>&amp;Guardar en un archivo...</translation>
    </message>
    <message>
        <source>Close &amp;Without Saving</source>
        <translation>Cerrar &amp;sin guardar</translation>
    </message>
    <message numerus="yes">
        <source>%n edit(s) of yours are not sent yet.</source>
        <translation>
            <numerusform>%n edición tuya aún no se ha enviado.</numerusform>
            <numerusform>%n ediciones tuyas aún no se han enviado.</numerusform>
        </translation>
    </message>
    <message>
        <source>They are on their way. Closing keeps them on this computer: they are sent the next time you open this document.</source>
        <translation>Están en camino. Si cierras, se guardan en este equipo y se envían la próxima vez que abras este documento.</translation>
    </message>
    <message>
        <source>You are offline. They are kept on this computer and sent the next time you open this document and the server can be reached.</source>
        <translation>No hay conexión. Se guardan en este equipo y se envían la próxima vez que abras este documento y se pueda llegar al servidor.</translation>
    </message>
    <message>
        <source>&amp;Wait, Then Close</source>
        <translation>&amp;Esperar y cerrar</translation>
    </message>
    <message>
        <source>&amp;Wait for the Connection</source>
        <translation>&amp;Esperar a la conexión</translation>
    </message>
    <message>
        <source>&amp;Close</source>
        <translation>&amp;Cerrar</translation>
    </message>
    <message>
        <source>Closing once your edits are sent...</source>
        <translation>Se cerrará cuando se envíen tus ediciones...</translation>
    </message>
    <message>
        <source>&amp;Go to Line...</source>
        <translation>&amp;Ir a la línea...</translation>
    </message>
    <message>
        <source>Go to Line</source>
        <translation>Ir a la línea</translation>
    </message>
    <message>
        <source>Line (1 to %1):</source>
        <translation>Línea (1 a %1):</translation>
    </message>
    <message>
        <source>&amp;Line Numbers</source>
        <translation>Números de &amp;línea</translation>
    </message>
    <message>
        <source>&amp;Wrap Lines</source>
        <translation>&amp;Ajustar líneas</translation>
    </message>
    <message>
        <source>Zoom &amp;In</source>
        <translation>A&amp;cercar</translation>
    </message>
    <message>
        <source>Zoom &amp;Out</source>
        <translation>A&amp;lejar</translation>
    </message>
    <message>
        <source>&amp;Reset Zoom</source>
        <translation>&amp;Restablecer zoom</translation>
    </message>
    <message>
        <source>Copy &amp;Link</source>
        <translation>Copiar en&amp;lace</translation>
    </message>
    <message>
        <source>Link copied: it opens this document in Coscribe.</source>
        <translation>Enlace copiado: abre este documento en Coscribe.</translation>
    </message>
    <message>
        <source>Copy &amp;Web Link</source>
        <translation>Copiar enlace &amp;web</translation>
    </message>
    <message>
        <source>Web link copied: it opens this document in a browser, no installation needed.</source>
        <translation>Enlace web copiado: abre este documento en un navegador, sin instalar nada.</translation>
    </message>
    <message>
        <source>S&amp;hare File...</source>
        <translation>&amp;Compartir archivo...</translation>
    </message>
    <message>
        <source>Share File</source>
        <translation>Compartir archivo</translation>
    </message>
    <message>
        <source>Text files (*.txt *.md *.text *.c *.cpp *.h *.py *.js *.json *.sh *.rs);;All files (*)</source>
        <translation>Archivos de texto (*.txt *.md *.text *.c *.cpp *.h *.py *.js *.json *.sh *.rs);;Todos los archivos (*)</translation>
    </message>
    <message>
        <source>Make a new shared document from a file on this computer (or drop files on the window)</source>
        <translation>Crear un documento compartido a partir de un archivo de este equipo (o suelta archivos en la ventana)</translation>
    </message>
    <message>
        <source>&amp;Save</source>
        <translation>&amp;Guardar</translation>
    </message>
    <message>
        <source>Write the document to its file on this computer</source>
        <translation>Escribir el documento en su archivo de este equipo</translation>
    </message>
    <message>
        <source>Save &amp;As...</source>
        <translation>Guardar &amp;como...</translation>
    </message>
    <message>
        <source>Write the document to a file on this computer and keep it linked to it</source>
        <translation>Escribir el documento en un archivo de este equipo y mantenerlo vinculado a él</translation>
    </message>
    <message>
        <source>&amp;Keep File Updated</source>
        <translation>&amp;Mantener el archivo al día</translation>
    </message>
    <message>
        <source>Write the linked file again whenever the document changes</source>
        <translation>Volver a escribir el archivo vinculado cada vez que cambie el documento</translation>
    </message>
    <message>
        <source>%1 (%2) — Coscribe</source>
        <translation>%1 (%2) — Coscribe</translation>
    </message>
    <message>
        <source>%1 · %2 · %3</source>
        <translation>%1 · %2 · %3</translation>
    </message>
    <message>
        <source>Saved to %1</source>
        <translation>Guardado en %1</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>Guardar</translation>
    </message>
    <message>
        <source>Save As</source>
        <translation>Guardar como</translation>
    </message>
    <message>
        <source>No free document name for %1</source>
        <translation>No hay un nombre de documento libre para %1</translation>
    </message>
    <message>
        <source>Shared %1 as %2</source>
        <translation>%1 compartido como %2</translation>
    </message>
    <message>
        <source>No Such Document</source>
        <translation>No existe el documento</translation>
    </message>
    <message>
        <source>There is no document “%1” on %2. Create it?</source>
        <translation>No hay ningún documento «%1» en %2. ¿Crearlo?</translation>
    </message>
    <message>
        <source>This document is open here already.</source>
        <translation>Este documento ya está abierto aquí.</translation>
    </message>
</context>
<context>
    <name>ui::ParticipantsPanel</name>
    <message>
        <source>&amp;Follow selected</source>
        <translation>&amp;Seguir al seleccionado</translation>
    </message>
    <message>
        <source>Keep the selected participant&apos;s cursor in view</source>
        <translation>Mantener a la vista el cursor del participante seleccionado</translation>
    </message>
    <message>
        <source>Anonymous</source>
        <translation>Anónimo</translation>
    </message>
    <message>
        <source>[read-only]</source>
        <translation>[solo lectura]</translation>
    </message>
    <message>
        <source>idle</source>
        <translation>inactivo</translation>
    </message>
    <message>
        <source>active</source>
        <translation>activo</translation>
    </message>
    <message>
        <source>%1 (%2), connection %3</source>
        <translation>%1 (%2), conexión %3</translation>
    </message>
</context>
</TS>
